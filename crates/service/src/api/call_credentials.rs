//! Short-lived call credentials: the administrator sets the secrets the tenant's SIP and TURN
//! servers share with the service; a signed-in agent gets credentials for their own SIP user,
//! minted anew at each request and never stored. Every change and every issue is audited.

use crate::database::begin_writing;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::AppState;
use super::auth::{Admin, Agent};
use super::error::{ApiError, ErrorBody};
use crate::call_credentials::store::{self, Configured};
use crate::call_credentials::{self, Kind, Minted, Settings};
use crate::secret::Secret;
use crate::{audit, clock, rate_limit};

fn kind_of(path: &str) -> Result<Kind, ApiError> {
    Kind::parse(path).ok_or_else(|| ApiError::NotFound("call credentials are \"sip\" or \"turn\"".into()))
}

fn shown(configured: Option<Configured>) -> serde_json::Value {
    configured.map_or(serde_json::Value::Null, |c| {
        let mut value = serde_json::to_value(&c.settings).unwrap_or_default();
        value["updatedAt"] = clock::rfc3339(c.updated_at).into();
        value
    })
}

/// `GET /api/tenant/call-credentials`: what is set, never a secret.
#[utoipa::path(get, path = "/api/tenant/call-credentials", tag = "call credentials", summary = "The tenant's call-credential settings (never the secrets)", responses((status = 200, description = "{sip, turn}: each {hash, ttlSeconds, urls?, updatedAt} or null", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [])))]
pub async fn settings(State(state): State<AppState>, Admin(admin): Admin) -> Result<Json<serde_json::Value>, ApiError> {
    let pool = &state.db.pool;
    let sip = store::configured(pool, &admin.tenant_id, Kind::Sip).await?;
    let turn = store::configured(pool, &admin.tenant_id, Kind::Turn).await?;
    Ok(Json(serde_json::json!({ "sip": shown(sip), "turn": shown(turn) })))
}

/// `PUT /api/tenant/call-credentials/{kind}`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SaveRequest {
    /// The shared secret; left out, the stored one stays.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    secret: Option<Secret>,
    /// The rest.
    #[serde(flatten)]
    settings: Settings,
}

/// `PUT /api/tenant/call-credentials/{kind}`: sets the secret the servers share with the
/// service, the HMAC's hash and the lifetime (and TURN's URLs).
#[utoipa::path(put, path = "/api/tenant/call-credentials/{kind}", tag = "call credentials", summary = "Sets how the service mints SIP or TURN credentials", params(("kind" = String, Path, description = "sip or turn")), request_body = SaveRequest, responses((status = 200, description = "The settings as saved", body = Object), (status = "4XX", description = "Refused: the body says why (the field at fault)", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn save(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(kind): Path<String>,
    Json(request): Json<SaveRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = kind_of(&kind)?;
    call_credentials::check(kind, &request.settings)?;
    if let Some(secret) = &request.secret {
        call_credentials::check_secret(secret)?;
    }
    let mut tx = begin_writing(&state.db.pool).await?;
    store::save(&mut tx, &state.keys, &admin.tenant_id, kind, &request.settings, request.secret.as_ref()).await?;
    let detail = format!(
        "{:?}, {} s{}",
        request.settings.hash,
        request.settings.ttl_seconds,
        if request.secret.is_some() { ", new secret" } else { "" }
    );
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "tenant.call-credentials", kind.name(), &detail).await?;
    tx.commit().await?;
    Ok(Json(shown(store::configured(&state.db.pool, &admin.tenant_id, kind).await?)))
}

/// `DELETE /api/tenant/call-credentials/{kind}`: the service stops minting them.
#[utoipa::path(delete, path = "/api/tenant/call-credentials/{kind}", tag = "call credentials", summary = "Stops minting SIP or TURN credentials (the secret is deleted)", params(("kind" = String, Path, description = "sip or turn")), responses((status = 204, description = "Removed"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(kind): Path<String>,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&kind)?;
    let mut tx = begin_writing(&state.db.pool).await?;
    if !store::remove(&mut tx, &admin.tenant_id, kind).await? {
        return Err(ApiError::NotFound(format!("no {} credentials are set", kind.name())));
    }
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "tenant.call-credentials", kind.name(), "removed")
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The JSON of minted credentials, with what the phone needs to time their renewal; the
/// password under `password_field` (WebRTC calls TURN's `credential`).
fn minted_body(minted: &Minted, password_field: &str, now_s: i64) -> serde_json::Value {
    serde_json::json!({
        "username": minted.username, password_field: minted.password.expose(),
        "expiresAt": clock::rfc3339(minted.expires_at * 1000), "expiresIn": (minted.expires_at - now_s).max(0),
    })
}

/// `POST /api/agent/call-credentials`: SIP credentials for the agent's own SIP user and TURN
/// credentials, whichever the tenant has set up.
#[utoipa::path(post, path = "/api/agent/call-credentials", tag = "call credentials", summary = "Short-lived SIP and TURN credentials for the signed-in agent", responses((status = 200, description = "{sip: {user, username, password, expiresAt, expiresIn} or null, turn: {urls, username, credential, expiresAt, expiresIn} or null}", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("agentBearer" = [])))]
pub async fn issue(State(state): State<AppState>, agent: Agent) -> Result<Json<serde_json::Value>, ApiError> {
    let person = &agent.person;
    let key = format!("call credentials {}", person.id);
    state.limits.attempt(&key, rate_limit::CALL_CREDENTIALS_PER_AGENT).map_err(ApiError::TooMany)?;
    let (pool, keys, tenant) = (&state.db.pool, &state.keys, &person.tenant_id);
    let set = store::with_secrets(pool, keys, tenant).await?;
    let of = |kind| set.iter().find(|(k, _, _)| *k == kind).map(|(_, settings, secret)| (settings, secret));
    let (sip_secret, turn_secret) = (of(Kind::Sip), of(Kind::Turn));
    if sip_secret.is_none() && turn_secret.is_none() {
        return Err(ApiError::Conflict(
            "your contact center mints no call credentials: an administrator sets them up (call credentials)".into(),
        ));
    }
    let now_s = clock::now_ms() / 1000;
    let mut detail = Vec::new();
    let sip = match (sip_secret, &person.sip_user) {
        (None, _) => serde_json::Value::Null,
        (Some(_), None) => {
            return Err(ApiError::Conflict(format!(
                "{} has no SIP user: an administrator sets one under People",
                person.username
            )));
        }
        (Some((settings, secret)), Some(user)) => {
            let minted = call_credentials::mint(secret, settings.hash, user, now_s + i64::from(settings.ttl_seconds));
            detail.push(format!("SIP {} until {}", minted.username, clock::rfc3339(minted.expires_at * 1000)));
            let mut body = minted_body(&minted, "password", now_s);
            body["user"] = user.clone().into();
            body
        }
    };
    let turn = match turn_secret {
        None => serde_json::Value::Null,
        Some((settings, secret)) => {
            // The TURN username names the agent for the TURN server's log and quota, not a SIP user.
            let minted = call_credentials::mint(
                secret,
                settings.hash,
                &person.username,
                now_s + i64::from(settings.ttl_seconds),
            );
            detail.push(format!("TURN {} until {}", minted.username, clock::rfc3339(minted.expires_at * 1000)));
            let mut body = minted_body(&minted, "credential", now_s);
            body["urls"] = settings.urls.clone().into();
            body
        }
    };
    let mut conn = pool.acquire().await?;
    audit::record(&mut conn, tenant, &person.username, "credentials.issue", &person.username, &detail.join("; "))
        .await?;
    Ok(Json(serde_json::json!({ "sip": sip, "turn": turn })))
}
