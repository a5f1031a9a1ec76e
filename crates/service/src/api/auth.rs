//! Who is calling: the extractors that find an administrator's session (cookie plus CSRF
//! header on changes) or an agent's bearer token, and the sign-in and sign-out routes.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::clock;
use crate::password;
use crate::people::{self, Person, Role};
use crate::rate_limit;
use crate::secret::Secret;
use crate::sessions::{self, Kind};

/// The admin session cookie's name: `__Host-` prefixed (Secure, no Domain, Path=/) when the
/// service is served over https.
fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-framephone_admin" } else { "framephone_admin" }
}

fn admin_cookie(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

/// Equality that takes as long whatever the first differing byte.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signed-in administrator; a change (any method but GET and HEAD) also carried the session's
/// CSRF token.
pub struct Admin(pub Person);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = admin_cookie(&parts.headers, state.secure_cookies).ok_or(ApiError::Unauthenticated)?;
        let found = sessions::find(&state.db.pool, &token, Kind::Admin).await?.ok_or(ApiError::Unauthenticated)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same(sent, &sessions::csrf_of(&token)) {
                return Err(ApiError::Csrf);
            }
        }
        if found.person.role != Role::Admin {
            return Err(ApiError::Forbidden("only administrators may do this".into()));
        }
        Ok(Admin(found.person))
    }
}

/// The administrator whose session cookie `headers` carry, if any (pages, not the API).
pub(crate) async fn admin_of_cookie(state: &AppState, headers: &HeaderMap) -> Option<Person> {
    let token = admin_cookie(headers, state.secure_cookies)?;
    let found = sessions::find(&state.db.pool, &token, Kind::Admin).await.ok().flatten()?;
    (found.person.role == Role::Admin).then_some(found.person)
}

/// A signed-in agent, by bearer token.
pub struct Agent {
    /// Who.
    pub person: Person,
    /// The bearer token used.
    pub token: String,
    /// When the agent signed in (renewals keep it).
    pub signed_in_at: i64,
}

impl FromRequestParts<AppState> for Agent {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let found = sessions::find(&state.db.pool, &token, Kind::Agent).await?.ok_or(ApiError::Unauthenticated)?;
        if let Some(phone) = calling_phone(state, &parts.headers) {
            phone_of_tenant(state, &found.person, &phone).await?;
        }
        Ok(Agent { person: found.person, token, signed_in_at: found.signed_in_at })
    }
}

/// A sign-in's body.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    username: String,
    #[schema(value_type = String)]
    password: Secret,
    /// Agents: the origin of the phone the token is for (the sign-in window sends it).
    #[serde(default, rename = "widgetOrigin")]
    widget_origin: Option<String>,
}

/// The web origin of the page a request came from, unless it is one of the service's own.
fn calling_phone(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("null");
    (origin != state.own_origin()).then(|| origin.to_owned())
}

/// Refuses a phone at `origin` that is not one of `person`'s tenant's, so that a tenant's page
/// never gets or uses another tenant's agent's token.
async fn phone_of_tenant(state: &AppState, person: &Person, origin: &str) -> Result<(), ApiError> {
    if state.widget_origins.of_tenant(&state.db.pool, &person.tenant_id, origin).await {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "the phone at {} is not one of your contact center's: an administrator lists its origin under Widget configuration",
        origin.chars().take(100).collect::<String>()
    )))
}

/// Checks a password sign-in, within the limits per client address and per username.
async fn check_credentials(
    state: &AppState,
    client: SocketAddr,
    credentials: &Credentials,
) -> Result<Person, ApiError> {
    let wait = |d| ApiError::TooMany(d);
    state.limits.attempt(&format!("sign-in ip {}", client.ip()), rate_limit::SIGN_IN_PER_CLIENT).map_err(wait)?;
    let user_key = format!("sign-in user {}", credentials.username.to_lowercase());
    state.limits.allows(&user_key, rate_limit::FAILURES_PER_USERNAME).map_err(wait)?;
    let found = people::by_username(&state.db.pool, &credentials.username).await?;
    let matched = match found {
        Some((person, Some(hash))) => password::verify(credentials.password.clone(), hash).await.then_some(person),
        _ => {
            password::spend_equal_time(credentials.password.clone()).await;
            None
        }
    };
    match matched {
        Some(person) => Ok(person),
        None => {
            let _ = state.limits.attempt(&user_key, rate_limit::FAILURES_PER_USERNAME);
            tracing::info!(username = %credentials.username, client = %client.ip(), "sign-in refused");
            Err(ApiError::BadCredentials)
        }
    }
}

/// `POST /api/admin/session`: an administrator signs in; the answer sets the session cookie and
/// carries the CSRF token.
#[utoipa::path(post, path = "/api/admin/session", tag = "sessions", summary = "An administrator signs in: the session cookie and the CSRF token", request_body = Credentials, responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)))]
pub async fn admin_sign_in(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Result<Response, ApiError> {
    let person = check_credentials(&state, client, &credentials).await?;
    if person.role != Role::Admin {
        return Err(ApiError::Forbidden(format!(
            "{} is an agent: agents sign in to the phone, not the admin UI",
            person.username
        )));
    }
    let issued = sessions::start(&state.db.pool, &person, Kind::Admin, clock::now_ms()).await?;
    tracing::info!(username = %person.username, "administrator signed in");
    let body = serde_json::json!({
        "person": person, "csrfToken": sessions::csrf_of(&issued.token), "expiresAt": clock::rfc3339(issued.expires_at),
    });
    let mut response = Json(body).into_response();
    set_admin_cookie(&state, &mut response, &issued);
    Ok(response)
}

/// Gives `response` the cookie of the admin session `issued`.
pub(crate) fn set_admin_cookie(state: &AppState, response: &mut Response, issued: &sessions::Issued) {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        cookie_name(state.secure_cookies),
        issued.token,
        sessions::ADMIN_LIFETIME_MS / 1000
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
}

/// `GET /api/admin/session`: who is signed in, and the CSRF token (for a reloaded admin page).
#[utoipa::path(get, path = "/api/admin/session", tag = "sessions", summary = "Who is signed in, and the CSRF token again", responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [])))]
pub async fn admin_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Admin(person): Admin,
) -> Result<Response, ApiError> {
    let token = admin_cookie(&headers, state.secure_cookies).ok_or(ApiError::Unauthenticated)?;
    Ok(Json(serde_json::json!({ "person": person, "csrfToken": sessions::csrf_of(&token) })).into_response())
}

/// `DELETE /api/admin/session`: signs out and clears the cookie.
#[utoipa::path(delete, path = "/api/admin/session", tag = "sessions", summary = "Signs out", responses((status = 204, description = "Signed out"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn admin_sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    _admin: Admin,
) -> Result<Response, ApiError> {
    if let Some(token) = admin_cookie(&headers, state.secure_cookies) {
        sessions::end(&state.db.pool, &token).await?;
    }
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let cookie =
        format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", cookie_name(state.secure_cookies));
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The answer that hands an agent a bearer token.
pub(crate) fn agent_token_body(person: &Person, issued: &sessions::Issued) -> serde_json::Value {
    serde_json::json!({
        "accessToken": issued.token, "tokenType": "Bearer",
        "expiresIn": (issued.expires_at - clock::now_ms()).max(0) / 1000,
        "expiresAt": clock::rfc3339(issued.expires_at), "person": person,
    })
}

/// `POST /api/agent/session`: an agent signs in and gets a short-lived bearer token.
#[utoipa::path(post, path = "/api/agent/session", tag = "sessions", summary = "An agent signs in: a bearer token for 15 minutes", request_body = Credentials, responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)))]
pub async fn agent_sign_in(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(credentials): Json<Credentials>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let person = check_credentials(&state, client, &credentials).await?;
    if person.role != Role::Agent {
        return Err(ApiError::Forbidden(format!(
            "{} is an administrator: the phone signs in agents only",
            person.username
        )));
    }
    if let Some(phone) = credentials.widget_origin.clone().or_else(|| calling_phone(&state, &headers)) {
        phone_of_tenant(&state, &person, &phone).await?;
    }
    let issued = sessions::start(&state.db.pool, &person, Kind::Agent, clock::now_ms()).await?;
    Ok(Json(agent_token_body(&person, &issued)))
}

/// `POST /api/agent/session/renew`: a new bearer token for the same shift; the old one ends.
#[utoipa::path(post, path = "/api/agent/session/renew", tag = "sessions", summary = "A new bearer token for the same shift; the old one ends", responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("agentBearer" = [])))]
pub async fn agent_renew(State(state): State<AppState>, agent: Agent) -> Result<Json<serde_json::Value>, ApiError> {
    if clock::now_ms() >= agent.signed_in_at + sessions::AGENT_SHIFT_MS {
        return Err(ApiError::Unauthenticated);
    }
    let issued = sessions::start(&state.db.pool, &agent.person, Kind::Agent, agent.signed_in_at).await?;
    sessions::end(&state.db.pool, &agent.token).await?;
    Ok(Json(agent_token_body(&agent.person, &issued)))
}

/// `DELETE /api/agent/session`: the agent signs out; the token stops working.
#[utoipa::path(delete, path = "/api/agent/session", tag = "sessions", summary = "The agent signs out", responses((status = 204, description = "Signed out"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("agentBearer" = [])))]
pub async fn agent_sign_out(State(state): State<AppState>, agent: Agent) -> Result<axum::http::StatusCode, ApiError> {
    sessions::end(&state.db.pool, &agent.token).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; framephone_admin=tok; b=2"));
        assert_eq!(admin_cookie(&headers, false).as_deref(), Some("tok"));
        assert_eq!(admin_cookie(&headers, true), None, "https wants the __Host- cookie");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
