//! Where agents' bearer tokens may go: the operator's phone origins
//! (`FRAMEPHONE_WIDGET_ORIGINS`, a phone every tenant may use) and the origins each tenant's
//! administrators list for their own phone. An agent's token goes only to one of their own
//! tenant's, so that a tenant's page cannot collect another tenant's agents' tokens. The
//! tenants' lists are read from the database at most every few seconds, so that several
//! instances agree soon after a change.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::AnyPool;

use crate::tenants;

/// How long the tenants' origins are taken as read.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// Origins and the tenant that lists each.
type Listed = Arc<Vec<(String, String)>>;

/// The phone origins, the operator's and the tenants'.
pub struct WidgetOrigins {
    operator: Vec<String>,
    tenants: RwLock<Option<(Instant, Listed)>>,
}

impl WidgetOrigins {
    /// The operator's origins; the tenants' are read when first needed.
    pub fn new(operator: Vec<String>) -> Self {
        WidgetOrigins { operator, tenants: RwLock::new(None) }
    }

    async fn listed(&self, pool: &AnyPool) -> Listed {
        if let Some((read_at, listed)) = self.tenants.read().unwrap_or_else(|e| e.into_inner()).as_ref()
            && read_at.elapsed() < FRESH_FOR
        {
            return listed.clone();
        }
        let listed: Listed = match tenants::all_widget_origins(pool).await {
            Ok(listed) => Arc::new(listed),
            Err(error) => {
                // Refuse rather than guess: a phone of a tenant is refused until the database answers.
                tracing::error!(%error, "the tenants' widget origins cannot be read");
                return Arc::default();
            }
        };
        *self.tenants.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), listed.clone()));
        listed
    }

    /// Whether `origin` is a phone's at all: the operator's or any tenant's (CORS, the sign-in
    /// window).
    pub async fn known(&self, pool: &AnyPool, origin: &str) -> bool {
        self.operator.iter().any(|o| o == origin) || self.listed(pool).await.iter().any(|(o, _)| o == origin)
    }

    /// Whether `origin` is a phone of `tenant`: the operator's or the tenant's own.
    pub async fn of_tenant(&self, pool: &AnyPool, tenant: &str, origin: &str) -> bool {
        self.operator.iter().any(|o| o == origin)
            || self.listed(pool).await.iter().any(|(o, t)| o == origin && t == tenant)
    }

    /// The tenants whose phone `origin` may be: `None` for the operator's (every tenant's).
    pub async fn tenants_of(&self, pool: &AnyPool, origin: &str) -> Option<Vec<String>> {
        if self.operator.iter().any(|o| o == origin) {
            return None;
        }
        Some(self.listed(pool).await.iter().filter(|(o, _)| o == origin).map(|(_, t)| t.clone()).collect())
    }

    /// A tenant's list changed here: read them again at the next question.
    pub fn changed(&self) {
        *self.tenants.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
