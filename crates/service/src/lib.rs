//! The integration service: administrators and agents, integration accounts for ServiceNow and
//! Salesforce with their secrets sealed at rest, and the REST API the admin UI and the widget
//! use. See the README's "Integration service" section for what is stored where.

pub mod accounts;
pub mod admin_ui;
pub mod api;
pub mod audit;
pub mod authorization;
pub mod call_credentials;
pub mod clock;
pub mod crm_request;
pub mod crm_token;
pub mod database;
pub mod master_key;
pub mod outbox;
pub mod page_headers;
pub mod password;
pub mod people;
pub mod random;
pub mod rate_limit;
pub mod salesforce_actions;
pub mod salesforce_post;
pub mod secret;
pub mod servicenow_post;
pub mod sessions;
pub mod setup;
pub mod sso;
pub mod tenants;
pub mod widget_origins;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use database::{Database, DatabaseError};
use master_key::Keyring;

/// How to start the service.
pub struct Options {
    /// Where to listen.
    pub address: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The master keys.
    pub keys: Keyring,
    /// Whether browsers reach the service over https (through a TLS proxy): Secure cookies.
    pub secure_cookies: bool,
    /// The origins the widget is served from, which may call the widget's routes.
    pub widget_origins: Vec<String>,
    /// How the call-log outbox retries.
    pub retry: outbox::RetryPolicy,
    /// The admin UI's build (`scripts/build-admin.sh`), served at `/admin/`.
    pub admin_dir: Option<std::path::PathBuf>,
    /// The URL browsers reach the service at, when a proxy is in front (else where it listens).
    pub public_url: Option<String>,
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The system's reason.
        reason: String,
    },
    /// The first administrator's setup token could not be stored.
    #[error("cannot store the setup token: {0}")]
    Setup(sqlx::Error),
}

/// A running service. Dropping it stops it.
pub struct Running {
    /// `http://address:port`.
    pub url: String,
    /// The one-time setup token of the default tenant, when it has no administrator yet.
    pub setup_token: Option<String>,
    /// The setup tokens of every tenant without an administrator: (slug, token).
    pub setup_tokens: Vec<(String, String)>,
    /// The database it uses.
    pub database: Database,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Opens and migrates the database, issues a setup token for each tenant without an administrator, binds,
/// serves, and starts the call-log outbox's worker.
pub async fn start(options: Options) -> Result<Running, StartError> {
    sso::verifier::warm_up();
    let database = Database::open(&options.database_url).await?;
    let setup_tokens = setup::issue_where_needed(&database.pool).await.map_err(StartError::Setup)?;
    let setup_token = setup_tokens.iter().find(|(slug, _)| slug == tenants::DEFAULT).map(|(_, token)| token.clone());
    let listener = TcpListener::bind(options.address)
        .await
        .map_err(|e| StartError::Listen { address: options.address, reason: e.to_string() })?;
    let address =
        listener.local_addr().map_err(|e| StartError::Listen { address: options.address, reason: e.to_string() })?;
    let state = api::AppState {
        db: database.clone(),
        keys: Arc::new(options.keys),
        http: api::crm_client(),
        secure_cookies: options.secure_cookies,
        limits: Arc::default(),
        refreshes: Arc::default(),
        widget_origins: Arc::new(widget_origins::WidgetOrigins::new(options.widget_origins)),
        outbox_wake: Arc::default(),
        public_url: Arc::new(options.public_url.clone().unwrap_or_else(|| format!("http://{address}"))),
    };
    let worker = Arc::new(outbox::Worker {
        pool: database.pool.clone(),
        backend: database.backend,
        keys: state.keys.clone(),
        http: state.http.clone(),
        refreshes: state.refreshes.clone(),
        wake: state.outbox_wake.clone(),
        policy: options.retry,
        me: random::id(),
    });
    let outbox_task = tokio::spawn(worker.run());
    let app = api::router(state)
        .merge(admin_ui::router(options.admin_dir))
        .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the service stopped");
        }
    });
    Ok(Running {
        url: format!("http://{address}"),
        setup_token,
        setup_tokens,
        database,
        tasks: vec![task, outbox_task],
    })
}
