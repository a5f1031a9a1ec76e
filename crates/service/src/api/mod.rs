//! The REST API: routes, the state they share, and a log line per request (method, path,
//! status, time; never a query string, header or body).

pub mod accounts;
pub mod auth;
pub mod call_logs;
pub mod crm;
pub mod error;
pub mod oauth_callback;
pub mod people;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

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
    /// The origins the widget is served from (CORS for the widget's routes).
    pub widget_origins: Arc<Vec<String>>,
    /// Rung when a call log is handed over, so the outbox posts it at once.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The URL browsers reach the service at (`FRAMEPHONE_PUBLIC_URL`, or where it listens).
    pub public_url: Arc<String>,
}

impl AppState {
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

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/setup", post(people::first_admin))
        .route("/api/admin/session", post(auth::admin_sign_in).get(auth::admin_session).delete(auth::admin_sign_out))
        .route("/api/agent/session", post(auth::agent_sign_in).delete(auth::agent_sign_out))
        .route("/api/agent/session/renew", post(auth::agent_renew))
        .route("/api/people", get(people::list).post(people::create))
        .route("/api/people/{id}", axum::routing::patch(people::update).delete(people::delete))
        .route("/api/accounts", get(accounts::list).post(accounts::create))
        .route("/api/accounts/{id}", get(accounts::read).patch(accounts::update).delete(accounts::delete))
        .route("/api/accounts/{id}/refresh-token", post(accounts::request_refresh_token))
        .route("/api/accounts/{id}/test", post(accounts::test_connection))
        .route("/api/accounts/{id}/authorize", post(accounts::authorize))
        .route("/api/accounts/{id}/limits", post(accounts::check_limits))
        .route("/oauth/callback", get(oauth_callback::callback))
        .route("/api/audit", get(audit))
        .route("/api/crm-token", post(crm::token))
        .route("/api/call-logs", post(call_logs::hand_over).get(call_logs::list))
        .route("/api/call-logs/{id}", get(call_logs::status))
        .route("/api/call-logs/{id}/retry", post(call_logs::retry))
        .layer(middleware::from_fn_with_state(state.clone(), crm::widget_cors))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn health(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    sqlx::query("SELECT 1").execute(&state.db.pool).await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "database": state.db.backend.name(), "masterKey": state.keys.current_id() }),
    ))
}

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(default)]
    limit: Option<i64>,
}

async fn audit(
    State(state): State<AppState>,
    _: Admin,
    Query(query): Query<AuditQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(serde_json::json!({ "lines": crate::audit::latest(&state.db.pool, limit).await? })))
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
