//! The server-side outbox: call logs agents hand over, posted to the CRM (a ServiceNow row, a
//! Salesforce Task) with the default integration account's token, idempotently by Call-ID (the
//! row is looked up before it is created), retried with backoff across restarts. Rows are leased to one service instance at a
//! time (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers), so instances that
//! share a database post each log once. A lease outlives no crash: it expires and another
//! instance takes the row over, finding what the first one may have written.

use std::sync::Arc;
use std::time::Duration;

use framephone::activity::CallLog;
use framephone::activity::outbox::PostOutcome;
use framephone::origin::Origin;
use serde::Serialize;
use sqlx::{AnyPool, Row};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::accounts::Kind;
use crate::clock;
use crate::crm_token::{self, HandOutError, Refreshes};
use crate::database::Backend;
use crate::master_key::Keyring;
use crate::random;
use crate::salesforce_post::{Org, salesforce_post};
use crate::secret::Secret;
use crate::servicenow_post::servicenow_post;

/// How the outbox retries.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each failure after.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// How long an instance holds a row it is posting before another may take it over.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { first: Duration::from_secs(5), max: Duration::from_secs(600), lease: Duration::from_secs(60) }
    }
}

impl RetryPolicy {
    /// The wait after `failures` failures, with ±20 % jitter so that retries spread out.
    fn delay_ms(&self, failures: i64) -> i64 {
        let base = self.first.as_millis() as f64 * 2f64.powi(failures.clamp(0, 30) as i32 - 1);
        let capped = base.min(self.max.as_millis() as f64);
        let jitter = 0.8 + 0.4 * (f64::from(random::bytes::<1>()[0]) / 255.0);
        (capped * jitter) as i64
    }
}

/// Where a log stands, as the widget and the admin see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogStatus {
    /// The row's id.
    pub id: String,
    /// The CRM kind.
    pub kind: String,
    /// The agent's SIP user.
    pub agent: String,
    /// The SIP Call-ID.
    pub call_id: String,
    /// `queued`, `delivered` or `refused`.
    pub state: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the CRM took it (RFC 3339).
    pub delivered_at: Option<String>,
    /// When it was handed over or last changed (RFC 3339).
    pub updated_at: String,
}

const STATUS_COLUMNS: &str = "id, kind, agent, call_id, state, attempts, last_error, delivered_at, updated_at";

fn status_of(row: &sqlx::any::AnyRow) -> Result<LogStatus, sqlx::Error> {
    Ok(LogStatus {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        agent: row.try_get("agent")?,
        call_id: row.try_get("call_id")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get::<Option<i64>, _>("delivered_at")?.map(clock::rfc3339),
        updated_at: clock::rfc3339(row.try_get("updated_at")?),
    })
}

/// Queues `log` for `tenant`'s CRM of `kind`; handing the same call over again replaces what
/// is queued, or queues an update of what was delivered when it changed.
pub async fn hand_over(pool: &AnyPool, tenant: &str, kind: Kind, log: &CallLog) -> Result<LogStatus, sqlx::Error> {
    let text = serde_json::to_string(log).unwrap_or_default();
    let now = clock::now_ms();
    sqlx::query(
        "INSERT INTO call_logs (id, tenant_id, kind, agent, call_id, log, state, attempts, due_at, created_at, updated_at) \
         VALUES ($1, $7, $2, $3, $4, $5, 'queued', 0, $6, $6, $6) \
         ON CONFLICT (tenant_id, kind, agent, call_id) DO UPDATE SET log = excluded.log, state = 'queued', attempts = 0, \
         due_at = excluded.due_at, last_error = NULL, updated_at = excluded.updated_at WHERE call_logs.log <> excluded.log",
    )
    .bind(random::id())
    .bind(kind.as_str())
    .bind(&log.agent)
    .bind(&log.call_id)
    .bind(&text)
    .bind(now)
    .bind(tenant)
    .execute(pool)
    .await?;
    status(pool, tenant, kind, &log.agent, &log.call_id).await?.ok_or(sqlx::Error::RowNotFound)
}

/// The status of `agent`'s log of `call_id` in `tenant`.
pub async fn status(
    pool: &AnyPool,
    tenant: &str,
    kind: Kind,
    agent: &str,
    call_id: &str,
) -> Result<Option<LogStatus>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {STATUS_COLUMNS} FROM call_logs WHERE tenant_id = $1 AND kind = $2 AND agent = $3 AND call_id = $4"
    ))
    .bind(tenant)
    .bind(kind.as_str())
    .bind(agent)
    .bind(call_id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(status_of).transpose()
}

/// `tenant`'s newest logs, optionally only those in `state`.
pub async fn latest(
    pool: &AnyPool,
    tenant: &str,
    state: Option<&str>,
    limit: i64,
) -> Result<Vec<LogStatus>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {STATUS_COLUMNS} FROM call_logs WHERE tenant_id = $3 AND ($1 = '' OR state = $1) \
         ORDER BY updated_at DESC, id LIMIT $2"
    ))
    .bind(state.unwrap_or(""))
    .bind(limit)
    .bind(tenant)
    .fetch_all(pool)
    .await?;
    rows.iter().map(status_of).collect()
}

/// Makes `tenant`'s waiting logs of `kind` due now: an account was added or mended, so a log
/// waiting out a long backoff for it goes at once rather than minutes later.
pub async fn due_now(pool: &AnyPool, tenant: &str, kind: Kind) -> Result<(), sqlx::Error> {
    // A row being posted right now is marked too: its post's outcome must not push it back.
    sqlx::query(
        "UPDATE call_logs SET due_at = $1 WHERE tenant_id = $3 AND state = 'queued' AND kind = $2 \
         AND (due_at > $1 OR leased_by IS NOT NULL)",
    )
    .bind(clock::now_ms())
    .bind(kind.as_str())
    .bind(tenant)
    .execute(pool)
    .await?;
    Ok(())
}

/// Queues `tenant`'s refused log `id` again (the cause was mended); false when there is no such
/// refused log.
pub async fn retry(pool: &AnyPool, tenant: &str, id: &str) -> Result<bool, sqlx::Error> {
    let now = clock::now_ms();
    let done = sqlx::query(
        "UPDATE call_logs SET state = 'queued', due_at = $1, attempts = 0, updated_at = $1 \
         WHERE id = $2 AND tenant_id = $3 AND state = 'refused'",
    )
    .bind(now)
    .bind(id)
    .bind(tenant)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A row this instance leased.
struct Claimed {
    id: String,
    tenant: String,
    kind: String,
    log: String,
    crm_id: Option<String>,
    attempts: i64,
    /// When it was due when leased: a change of it meanwhile means it was made due again.
    due_at: i64,
}

/// What delivering a row came to.
pub struct Delivery {
    /// The CRM's answer, as the widget's outbox reads it.
    pub outcome: PostOutcome,
    /// The CRM's id of the row, when learnt.
    pub crm_id: Option<String>,
    /// The token the CRM refused, to be dropped from the cache.
    pub refused_token: Option<Secret>,
}

/// The outbox's worker: everything it needs to post.
pub struct Worker {
    /// The database.
    pub pool: AnyPool,
    /// Which database (PostgreSQL skips rows other instances hold).
    pub backend: Backend,
    /// The master keys.
    pub keys: Arc<Keyring>,
    /// The CRM client.
    pub http: reqwest::Client,
    /// The shared refreshes.
    pub refreshes: Arc<Refreshes>,
    /// Rung when a log is handed over.
    pub wake: Arc<Notify>,
    /// How to retry.
    pub policy: RetryPolicy,
    /// This instance's id in leases.
    pub me: String,
}

/// Rows leased per round.
const BATCH: i64 = 32;
/// Posts in flight at once per instance.
const PARALLEL: usize = 8;

impl Worker {
    /// Posts due logs until the task is dropped.
    pub async fn run(self: Arc<Self>) {
        loop {
            let claimed = match self.claim().await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, "the outbox cannot read its queue");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
                continue;
            }
            let mut posts = JoinSet::new();
            for row in claimed {
                if posts.len() >= PARALLEL {
                    posts.join_next().await;
                }
                let worker = self.clone();
                posts.spawn(async move { worker.post(row).await });
            }
            while posts.join_next().await.is_some() {}
        }
    }

    async fn claim(&self) -> Result<Vec<Claimed>, sqlx::Error> {
        let now = clock::now_ms();
        let skip_locked = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let rows = sqlx::query(&format!(
            "UPDATE call_logs SET lease_until = $1, leased_by = $2 WHERE id IN (SELECT id FROM call_logs \
             WHERE state = 'queued' AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4{skip_locked}) \
             AND (lease_until IS NULL OR lease_until < $3) RETURNING id, tenant_id, kind, log, crm_id, attempts, due_at"
        ))
        .bind(now + self.policy.lease.as_millis() as i64)
        .bind(&self.me)
        .bind(now)
        .bind(BATCH)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Claimed {
                    id: row.try_get("id")?,
                    tenant: row.try_get("tenant_id")?,
                    kind: row.try_get("kind")?,
                    log: row.try_get("log")?,
                    crm_id: row.try_get("crm_id")?,
                    attempts: row.try_get("attempts")?,
                    due_at: row.try_get("due_at")?,
                })
            })
            .collect()
    }

    async fn post(&self, row: Claimed) {
        let delivery = self.deliver(&row).await;
        if let (Some(token), Some(kind)) = (&delivery.refused_token, Kind::parse(&row.kind)) {
            let _ = crm_token::forget_refused(&self.pool, &self.keys, &row.tenant, kind, token).await;
        }
        if let Err(error) = self.settle(&row, delivery).await {
            tracing::error!(%error, "the outbox cannot record a post's outcome; the lease will expire and the log be posted again");
        }
    }

    async fn deliver(&self, row: &Claimed) -> Delivery {
        let fail = |outcome| Delivery { outcome, crm_id: None, refused_token: None };
        let Ok(log) = serde_json::from_str::<CallLog>(&row.log) else {
            return fail(PostOutcome::Refused("the stored log no longer reads".into()));
        };
        let Some(kind) = Kind::parse(&row.kind) else {
            return fail(PostOutcome::Refused(format!("the service does not post {} logs", row.kind)));
        };
        let token =
            match crm_token::hand_out(&self.pool, &self.keys, &self.http, &self.refreshes, &row.tenant, kind).await {
                Ok(token) => token,
                Err(HandOutError::Store(error)) => return fail(PostOutcome::Unknown(error.to_string())),
                Err(error) => return fail(PostOutcome::Busy { reason: error.to_string(), retry_after_ms: None }),
            };
        let mut delivery = match kind {
            Kind::Servicenow => {
                let Ok(instance) = Origin::parse(&token.site) else {
                    return fail(PostOutcome::Refused(format!(
                        "the account's instance URL {} is not an origin",
                        token.site
                    )));
                };
                servicenow_post(&self.http, &instance, &token.access, &log, row.crm_id.clone()).await
            }
            Kind::Salesforce => {
                let org = Org { my_domain: &token.site, api_version: &token.api_version };
                salesforce_post(&self.http, &org, &token.access, &log, row.crm_id.clone()).await
            }
        };
        if delivery.outcome == PostOutcome::Unauthorised {
            delivery.refused_token = Some(token.access);
        }
        delivery
    }

    async fn settle(&self, row: &Claimed, delivery: Delivery) -> Result<(), sqlx::Error> {
        let now = clock::now_ms();
        let release = "lease_until = NULL, leased_by = NULL, updated_at = $1, crm_id = COALESCE($2, crm_id)";
        let (state, error, due_at) = match delivery.outcome {
            PostOutcome::Posted => {
                // Delivered only if the log was not handed over anew while it was posted.
                let done = sqlx::query(&format!(
                    "UPDATE call_logs SET state = 'delivered', delivered_at = $1, last_error = NULL, {release} \
                     WHERE id = $3 AND leased_by = $4 AND log = $5"
                ))
                .bind(now)
                .bind(&delivery.crm_id)
                .bind(&row.id)
                .bind(&self.me)
                .bind(&row.log)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 1 {
                    tracing::info!(call_id = %row.id, "call log delivered");
                    return Ok(());
                }
                ("queued", None, now)
            }
            PostOutcome::Refused(reason) => ("refused", Some(reason), now),
            PostOutcome::Unauthorised => {
                ("queued", Some("the CRM refused the access token; a new one is fetched".to_owned()), now)
            }
            PostOutcome::Busy { reason, retry_after_ms } => {
                let wait = self.policy.delay_ms(row.attempts + 1).max(retry_after_ms.unwrap_or(0) as i64);
                ("queued", Some(reason), now + wait.min(self.policy.max.as_millis() as i64))
            }
            PostOutcome::Unknown(reason) => ("queued", Some(reason), now + self.policy.delay_ms(row.attempts + 1)),
            // The service always has its CRM; kept for completeness of the widget's outcomes.
            PostOutcome::NoHost => {
                ("queued", Some("no CRM to post to".to_owned()), now + self.policy.delay_ms(row.attempts + 1))
            }
        };
        let failed = i64::from(error.is_some());
        sqlx::query(&format!(
            "UPDATE call_logs SET state = $3, last_error = $4, attempts = attempts + $6, {release}, \
             due_at = CASE WHEN due_at = $9 THEN $5 ELSE due_at END WHERE id = $7 AND leased_by = $8"
        ))
        .bind(now)
        .bind(&delivery.crm_id)
        .bind(state)
        .bind(&error)
        .bind(due_at)
        .bind(failed)
        .bind(&row.id)
        .bind(&self.me)
        .bind(row.due_at)
        .execute(&self.pool)
        .await?;
        if let Some(error) = &error {
            tracing::warn!(log = %row.id, state, error, "call log not delivered");
        }
        Ok(())
    }
}
