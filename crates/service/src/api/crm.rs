//! What the widget asks of the service with an agent's bearer token: a CRM access token for
//! its host, and the CORS answers that let only the configured widget origins ask.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Agent;
use super::error::{ApiError, ErrorBody};
use crate::accounts::Kind;
use crate::clock;
use crate::crm_token::{self, HandOutError};
use crate::rate_limit;
use crate::secret::Secret;

/// `POST /api/crm-token`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenRequest {
    /// `servicenow` or `salesforce`.
    kind: String,
    /// A token the CRM just refused (401): it is not handed out again.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    refused: Option<Secret>,
}

/// `POST /api/crm-token`: the default ServiceNow account's access token for the agent's widget.
#[utoipa::path(post, path = "/api/crm-token", tag = "agents", summary = "The default account's CRM access token for the agent's widget", request_body = TokenRequest, responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("agentBearer" = [])))]
pub async fn token(
    State(state): State<AppState>,
    agent: Agent,
    Json(request): Json<TokenRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = Kind::parse(&request.kind).ok_or_else(|| {
        crate::accounts::FieldError::new("kind", format!("must be servicenow or salesforce, not {:?}", request.kind))
    })?;
    if kind == Kind::Salesforce {
        // The phone works in the agent's own Salesforce session (Open CTI); the integration
        // user's token would give every agent that user's rights for no feature.
        return Err(ApiError::Conflict(
            "Salesforce access tokens are not handed to agents: inside Salesforce the phone uses the agent's own session (Open CTI)"
                .into(),
        ));
    }
    let key = format!("crm token {}", agent.person.id);
    state.limits.attempt(&key, rate_limit::TOKENS_PER_AGENT).map_err(ApiError::TooMany)?;
    if let Some(refused) = &request.refused {
        crm_token::forget_refused(&state.db.pool, &state.keys, &agent.person.tenant_id, kind, refused)
            .await
            .map_err(hand_out_error)?;
    }
    let tenant = &agent.person.tenant_id;
    let token = crm_token::hand_out(&state.db.pool, &state.keys, &state.http, &state.refreshes, tenant, kind)
        .await
        .map_err(hand_out_error)?;
    tracing::info!(agent = %agent.person.username, kind = kind.as_str(), "CRM token handed out");
    Ok(Json(serde_json::json!({
        "accessToken": token.access.expose(), "tokenType": "Bearer", "site": token.site,
        "expiresAt": clock::rfc3339(token.use_until), "expiresIn": (token.use_until - clock::now_ms()).max(0) / 1000,
    })))
}

fn hand_out_error(error: HandOutError) -> ApiError {
    match error {
        HandOutError::NoAccount(_) => ApiError::Conflict(error.to_string()),
        HandOutError::Crm { .. } => ApiError::Upstream(error.to_string()),
        HandOutError::Store(store) => store.into(),
    }
}

/// CORS for the widget's routes: only the widget origins (the operator's and the tenants'), no
/// credentials (the widget sends a bearer token, never a cookie). Other routes answer no
/// origin. Which tenant's phone may use an agent's token is checked with the token (`Agent`).
pub async fn widget_cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let widget_route =
        path.starts_with("/api/agent/") || path == "/api/crm-token" || path.starts_with("/api/call-logs");
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = match origin {
        Some(origin) if widget_route && state.widget_origins.known(&state.db.pool, &origin).await => Some(origin),
        _ => None,
    };
    if request.method() == Method::OPTIONS && widget_route {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Some(origin) = &allowed {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, DELETE"));
            headers
                .insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            allow(headers, origin);
        }
        return response;
    }
    let mut response = next.run(request).await;
    if let Some(origin) = &allowed {
        allow(response.headers_mut(), origin);
    }
    response
}

fn allow(headers: &mut axum::http::HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("origin"));
    }
}
