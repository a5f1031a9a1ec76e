//! The REST API: routes, the state they share, and a log line per request (method, path,
//! status, time; never a query string, header or body).

pub mod accounts;
pub mod agent_sign_in;
pub mod auth;
pub mod call_credentials;
pub mod call_logs;
pub mod crm;
pub mod error;
pub mod oauth_callback;
pub mod people;
pub mod sso;
pub mod sso_sign_in;
pub mod tenant;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::crm_token::Refreshes;
use crate::database::Database;
use crate::master_key::Keyring;
use crate::rate_limit::Limiter;
use auth::Admin;
use error::ApiError;

/// What every route shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// The master keys.
    pub keys: Arc<Keyring>,
    /// The client for CRM requests (no redirects followed, 15 s timeout).
    pub http: reqwest::Client,
    /// Whether the service is reached over https (Secure, `__Host-` cookies).
    pub secure_cookies: bool,
    /// Attempt limits.
    pub limits: Arc<Limiter>,
    /// One CRM refresh at a time per account.
    pub refreshes: Arc<Refreshes>,
    /// The origins the widget is served from, the operator's and each tenant's (CORS for the
    /// widget's routes, where agents' tokens may go).
    pub widget_origins: Arc<crate::widget_origins::WidgetOrigins>,
    /// Rung when a call log is handed over, so the outbox posts it at once.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The URL browsers reach the service at (`FRAMEPHONE_PUBLIC_URL`, or where it listens).
    pub public_url: Arc<String>,
}

impl AppState {
    /// An account of `tenant` and `kind` was added or mended: the logs waiting for one go now.
    pub async fn account_ready(&self, tenant: &str, kind: crate::accounts::Kind) -> Result<(), sqlx::Error> {
        crate::outbox::due_now(&self.db.pool, tenant, kind).await?;
        self.outbox_wake.notify_one();
        Ok(())
    }

    /// The service's own origin (its pages' requests carry it).
    pub fn own_origin(&self) -> String {
        crate::accounts::fields::canonical_origin(&self.public_url)
    }

    /// Where CRMs send the administrator's browser back after a sign-in.
    pub fn redirect_uri(&self) -> String {
        format!("{}/oauth/callback", self.public_url.trim_end_matches('/'))
    }
}

/// The HTTP client for CRM requests: no redirects (a token endpoint that redirects is a wrong
/// URL, and credentials must not follow it), 15 s for a whole request.
pub fn crm_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .user_agent(concat!("Framephone-Service/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// The OpenAPI document's frame: title, version, and how callers authenticate.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Framephone integration service", description = "People, integration accounts, CRM tokens, call logs, short-lived call credentials and single sign-on."),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let cookie = ApiKeyValue::with_description(
            "framephone_admin",
            "The admin session cookie (__Host-framephone_admin over https)",
        );
        components.add_security_scheme("adminSession", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
        let csrf = ApiKeyValue::with_description("X-CSRF-Token", "The session's CSRF token, on every change");
        components.add_security_scheme("csrfToken", SecurityScheme::ApiKey(ApiKey::Header(csrf)));
        let bearer =
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An agent's bearer token")).build();
        components.add_security_scheme("agentBearer", SecurityScheme::Http(bearer));
    }
}

/// Every route, and the OpenAPI document made from them (`GET /api/openapi.json`).
pub fn router(state: AppState) -> Router {
    let (routes, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(people::first_admin))
        .routes(routes!(auth::admin_sign_in, auth::admin_session, auth::admin_sign_out))
        .routes(routes!(auth::agent_sign_in, auth::agent_sign_out))
        .routes(routes!(auth::agent_renew))
        .routes(routes!(agent_sign_in::page))
        .routes(routes!(people::list, people::create))
        .routes(routes!(people::update, people::delete))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::read, accounts::update, accounts::delete))
        .routes(routes!(accounts::request_refresh_token))
        .routes(routes!(accounts::test_connection))
        .routes(routes!(accounts::authorize))
        .routes(routes!(accounts::check_limits))
        .routes(routes!(oauth_callback::callback))
        .routes(routes!(audit))
        .routes(routes!(crm::token))
        .routes(routes!(call_logs::hand_over, call_logs::list))
        .routes(routes!(call_logs::status))
        .routes(routes!(call_logs::retry))
        .routes(routes!(tenant::read))
        .routes(routes!(tenant::widget_config, tenant::save_widget_config))
        .routes(routes!(tenant::save_widget_origins))
        .routes(routes!(tenant::served_config))
        .routes(routes!(call_credentials::settings))
        .routes(routes!(call_credentials::save, call_credentials::remove))
        .routes(routes!(call_credentials::issue))
        .routes(routes!(sso::read))
        .routes(routes!(sso::save))
        .routes(routes!(sso_sign_in::metadata))
        .routes(routes!(sso_sign_in::start))
        .routes(routes!(sso_sign_in::acs))
        .routes(routes!(sso_sign_in::claim))
        .split_for_parts();
    let document = Arc::new(document);
    routes
        .route("/api/openapi.json", get(move || async move { Json(document.as_ref().clone()) }))
        .route("/agent/sign-in.js", get(agent_sign_in::script))
        .route("/sso/done.js", get(sso_sign_in::script))
        .layer(middleware::from_fn_with_state(state.clone(), crm::widget_cors))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// `GET /api/health`.
#[utoipa::path(get, path = "/api/health", tag = "service", summary = "Whether the service and its database answer", responses((status = 200, description = "{status, database, masterKey}", body = Object)))]
async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "database": state.db.backend.name(), "masterKey": state.keys.current_id() }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct AuditQuery {
    #[serde(default)]
    limit: Option<i64>,
}

/// `GET /api/audit`.
#[utoipa::path(get, path = "/api/audit", tag = "service", summary = "The newest audit lines (100, at most 1000)", params(AuditQuery), responses((status = 200, description = "{lines: [{at, actor, action, target, detail}]}", body = Object), (status = "4XX", description = "Refused: the body says why", body = error::ErrorBody)), security(("adminSession" = [])))]
async fn audit(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(query): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(serde_json::json!({ "lines": crate::audit::latest(&state.db.pool, &admin.tenant_id, limit).await? })))
}

async fn log_request(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let mut response = next.run(request).await;
    // Answers may carry tokens; no cache keeps them.
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(%method, %path, status = response.status().as_u16(), ms = format!("{ms:.1}"), "request");
    response
}
