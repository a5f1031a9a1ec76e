//! The integration account routes: list, create, read, change, delete, and each kind's actions
//! (ServiceNow: Request refresh token, Test connection). Secrets go in, never out: an account's
//! JSON says of each secret only whether it is set and since when.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::AppState;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::accounts::salesforce;
use crate::accounts::servicenow::{self, Check, TokenFailure};
use crate::accounts::store::{self, Account, Change};
use crate::accounts::{CLIENT_SECRET, FieldError, Kind, REFRESH_TOKEN, Settings, fields};
use crate::clock;
use crate::people::Person;
use crate::rate_limit;
use crate::salesforce_actions;
use crate::secret::Secret;

/// `GET /api/accounts`.
#[utoipa::path(get, path = "/api/accounts", tag = "accounts", summary = "The integration accounts", responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn list(State(state): State<AppState>, Admin(admin): Admin) -> Result<Json<Value>, ApiError> {
    let accounts: Vec<Value> =
        store::list(&state.db.pool, &admin.tenant_id).await?.iter().map(Account::to_json).collect();
    Ok(Json(serde_json::json!({ "accounts": accounts })))
}

/// `GET /api/accounts/{id}`.
#[utoipa::path(get, path = "/api/accounts/{id}", tag = "accounts", summary = "One account", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(store::get(&state.db.pool, &admin.tenant_id, &id).await?.to_json()))
}

/// A new account, or the parts of a change that are present.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountRequest {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    default: Option<bool>,
    /// All fields for a new account; for a change, only those that change.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<serde_json::Map<String, Value>>,
    /// Secrets to write (each replaces what was there).
    #[serde(default)]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    secrets: std::collections::BTreeMap<String, Secret>,
}

fn checked_name(name: &str) -> Result<String, FieldError> {
    fields::required("name", name, 100)?;
    Ok(name.trim().to_owned())
}

fn checked_secrets(
    kind: Kind,
    secrets: &std::collections::BTreeMap<String, Secret>,
) -> Result<Vec<(&'static str, Secret)>, FieldError> {
    secrets.iter().map(|(name, value)| Ok((store::check_secret(kind, name, value)?, value.clone()))).collect()
}

/// `POST /api/accounts`.
#[utoipa::path(post, path = "/api/accounts", tag = "accounts", summary = "Adds an account; the first of its kind becomes its default", request_body = AccountRequest, responses((status = 201, description = "Created", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(request): Json<AccountRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let kind_text = request.kind.ok_or_else(|| FieldError::new("kind", "is required: servicenow or salesforce"))?;
    let kind = Kind::parse(&kind_text)
        .ok_or_else(|| FieldError::new("kind", format!("must be servicenow or salesforce, not {kind_text:?}")))?;
    let name = checked_name(request.name.as_deref().unwrap_or(""))?;
    let settings = request.settings.ok_or_else(|| FieldError::new("settings", "is required"))?;
    let settings = Settings::for_write(kind, Value::Object(settings))?;
    let change = Change {
        name: None,
        default: request.default,
        settings: Some(settings),
        secrets: checked_secrets(kind, &request.secrets)?,
    };
    let account = store::create(&state.db.pool, &state.keys, &admin.tenant_id, &admin.username, name, change).await?;
    tracing::info!(account = %account.name, kind = kind.as_str(), by = %admin.username, "integration account created");
    state.account_ready(&admin.tenant_id, kind).await?;
    Ok((StatusCode::CREATED, Json(account.to_json())))
}

/// `PATCH /api/accounts/{id}`: the fields present change; `settings` is merged into the current
/// fields; each secret present replaces the stored one.
#[utoipa::path(patch, path = "/api/accounts/{id}", tag = "accounts", summary = "Changes an account: fields present change, settings are merged, secrets replaced", params(("id" = String, Path, description = "The id")), request_body = AccountRequest, responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    Json(request): Json<AccountRequest>,
) -> Result<Json<Value>, ApiError> {
    let current = store::get(&state.db.pool, &admin.tenant_id, &id).await?;
    if request.kind.as_deref().is_some_and(|k| k != current.kind.as_str()) {
        return Err(FieldError::new("kind", "cannot change: create an account of the other kind instead").into());
    }
    let name = request.name.as_deref().map(checked_name).transpose()?;
    let settings = match request.settings {
        Some(changes) => {
            let mut merged = current.settings.to_json();
            if let Value::Object(fields) = &mut merged {
                fields.extend(changes);
            }
            Some(Settings::for_write(current.kind, merged)?)
        }
        None => None,
    };
    let change =
        Change { name, default: request.default, settings, secrets: checked_secrets(current.kind, &request.secrets)? };
    let account = store::update(&state.db.pool, &state.keys, &admin.tenant_id, &admin.username, &id, change).await?;
    state.account_ready(&admin.tenant_id, account.kind).await?;
    Ok(Json(account.to_json()))
}

/// `DELETE /api/accounts/{id}`.
#[utoipa::path(delete, path = "/api/accounts/{id}", tag = "accounts", summary = "Deletes an account and its secrets", params(("id" = String, Path, description = "The id")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    store::delete(&state.db.pool, &admin.tenant_id, &admin.username, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The ServiceNow account with `id`, and its client secret.
async fn servicenow_account(state: &AppState, tenant: &str, id: &str) -> Result<(Account, Secret), ApiError> {
    let account = store::get(&state.db.pool, tenant, id).await?;
    if account.kind != Kind::Servicenow {
        return Err(ApiError::Conflict(format!(
            "{} is a {} account: this action is for ServiceNow accounts",
            account.name,
            account.kind.as_str()
        )));
    }
    state
        .limits
        .attempt(&format!("crm account {id}"), rate_limit::CRM_ACTIONS_PER_ACCOUNT)
        .map_err(ApiError::TooMany)?;
    let secret = store::read_secret(&state.db.pool, &state.keys, id, CLIENT_SECRET)
        .await?
        .ok_or_else(|| ApiError::Conflict(TokenFailure::NoClientSecret.to_string()))?;
    Ok((account, secret))
}

/// Request refresh token's body: the administrator's ServiceNow credentials, used once.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordGrant {
    username: String,
    #[schema(value_type = String)]
    password: Secret,
}

/// `POST /api/accounts/{id}/refresh-token`: the password grant; the refresh token is sealed,
/// the credentials forgotten.
#[utoipa::path(post, path = "/api/accounts/{id}/refresh-token", tag = "accounts", summary = "ServiceNow: Request refresh token by the password grant", params(("id" = String, Path, description = "The id")), request_body = PasswordGrant, responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn request_refresh_token(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    Json(grant): Json<PasswordGrant>,
) -> Result<Json<Value>, ApiError> {
    fields::required("username", &grant.username, 255)?;
    if grant.password.is_empty() {
        return Err(FieldError::new("password", "is required").into());
    }
    let (account, secret) = servicenow_account(&state, &admin.tenant_id, &id).await?;
    let Some(settings) = account.servicenow() else { return Err(ApiError::Internal("account kind")) };
    let tokens = servicenow::password_grant(&state.http, settings, &secret, &grant.username, &grant.password)
        .await
        .map_err(|failure| ApiError::Upstream(failure.to_string()))?;
    let refresh = tokens.refresh.ok_or_else(|| {
        ApiError::Upstream(
            "the instance issued no refresh token: set the OAuth application's Refresh Token Lifespan above 0".into(),
        )
    })?;
    let expires_at = clock::now_ms() + i64::from(settings.refresh_token_lifetime_days) * 24 * 3600 * 1000;
    let how = format!("password grant as ServiceNow user {}", grant.username);
    store::store_refresh_token(
        &state.db.pool,
        &state.keys,
        &admin.username,
        &account,
        &refresh,
        Some(expires_at),
        &how,
    )
    .await?;
    tracing::info!(account = %account.name, by = %admin.username, "refresh token received");
    state.account_ready(&admin.tenant_id, account.kind).await?;
    let account = store::get(&state.db.pool, &admin.tenant_id, &id).await?;
    Ok(Json(serde_json::json!({
        "message": format!("Refresh token received; it is valid until {}", clock::rfc3339(expires_at)),
        "account": account.to_json(),
    })))
}

/// `POST /api/accounts/{id}/test`: Test connection, per capability.
#[utoipa::path(post, path = "/api/accounts/{id}/test", tag = "accounts", summary = "Test connection, per capability", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn test_connection(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account = store::get(&state.db.pool, &admin.tenant_id, &id).await?;
    let _no_other_refresh = state.refreshes.hold(&account.id).await;
    let mut checks = match account.salesforce() {
        Some(settings) => {
            state
                .limits
                .attempt(&format!("crm account {id}"), rate_limit::CRM_ACTIONS_PER_ACCOUNT)
                .map_err(ApiError::TooMany)?;
            salesforce_actions::test_connection(
                &state.db.pool,
                &state.keys,
                &state.http,
                &account,
                settings,
                &admin.username,
            )
            .await?
        }
        None => servicenow_checks(&state, &admin, &id).await?,
    };
    let account = store::get(&state.db.pool, &admin.tenant_id, &id).await?;
    if let Some((_, token)) = account.secrets.iter().find(|(name, _)| *name == REFRESH_TOKEN)
        && let (Some(expires_at), Some(true)) = (&token.expires_at, token.expires_soon)
    {
        let message = format!("the refresh token expires at {expires_at}: choose Request refresh token before then");
        checks.push(Check { capability: "Refresh token lifetime".into(), ok: false, message });
    }
    let failed = checks.iter().filter(|c| !c.ok).count();
    let summary = if failed == 0 {
        "Connection is valid".to_owned()
    } else {
        format!("{failed} of {} checks failed", checks.len())
    };
    let mut conn = state.db.pool.acquire().await?;
    crate::audit::record(&mut conn, &admin.tenant_id, &admin.username, "account.test", &account.name, &summary).await?;
    Ok(Json(serde_json::json!({ "ok": failed == 0, "summary": summary, "checks": checks })))
}

/// Test connection's checks for a ServiceNow account: token refresh, then each table.
async fn servicenow_checks(state: &AppState, admin: &Person, id: &str) -> Result<Vec<Check>, ApiError> {
    let (account, secret) = servicenow_account(state, &admin.tenant_id, id).await?;
    let Some(settings) = account.servicenow() else { return Err(ApiError::Internal("account kind")) };
    let mut checks = Vec::new();
    let refresh_token = store::read_secret(&state.db.pool, &state.keys, id, REFRESH_TOKEN).await?;
    let refreshed = match &refresh_token {
        None => Err(TokenFailure::NoRefreshToken),
        Some(token) => servicenow::refresh(&state.http, settings, &secret, token).await,
    };
    match refreshed {
        Ok(tokens) => {
            if let Some(old) = &refresh_token {
                let lifetime = settings.refresh_token_lifetime_days;
                let returned = tokens.refresh.as_ref();
                store::keep_rotated(&state.db.pool, &state.keys, &admin.username, &account, lifetime, old, returned)
                    .await?;
            }
            let message = "the refresh token gave an access token".into();
            checks.push(Check { capability: "Token refresh".into(), ok: true, message });
            for (table, purpose) in servicenow::TABLES {
                checks.push(servicenow::check_table(&state.http, settings, &tokens.access, table, purpose).await);
            }
        }
        Err(failure) => {
            checks.push(Check { capability: "Token refresh".into(), ok: false, message: failure.to_string() });
            for (table, purpose) in servicenow::TABLES {
                let message = "not checked: it needs an access token".to_owned();
                checks.push(Check { capability: format!("Table {table} ({purpose})"), ok: false, message });
            }
        }
    }
    Ok(checks)
}

/// `POST /api/accounts/{id}/limits`: Check limits of a Salesforce account, the daily API requests.
#[utoipa::path(post, path = "/api/accounts/{id}/limits", tag = "accounts", summary = "Salesforce: Check limits (daily API requests)", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn check_limits(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account = store::get(&state.db.pool, &admin.tenant_id, &id).await?;
    let Some(settings) = account.salesforce() else {
        return Err(ApiError::Conflict(format!(
            "{} is a ServiceNow account: Check limits is for Salesforce accounts",
            account.name
        )));
    };
    state
        .limits
        .attempt(&format!("crm account {id}"), rate_limit::CRM_ACTIONS_PER_ACCOUNT)
        .map_err(ApiError::TooMany)?;
    let _no_other_refresh = state.refreshes.hold(&account.id).await;
    let upstream = |e: salesforce_actions::AccessError| match e {
        salesforce_actions::AccessError::Store(store) => ApiError::from(store),
        salesforce_actions::AccessError::Salesforce(failure) => ApiError::Upstream(failure.to_string()),
    };
    let tokens =
        salesforce_actions::access(&state.db.pool, &state.keys, &state.http, &account, settings, &admin.username)
            .await
            .map_err(upstream)?;
    let requests = salesforce::limits(&state.http, settings, &tokens.access)
        .await
        .map_err(|f| ApiError::Upstream(f.to_string()))?;
    let used = requests.max.saturating_sub(requests.remaining);
    Ok(Json(serde_json::json!({
        "dailyApiRequests": {"max": requests.max, "remaining": requests.remaining, "used": used,
            "percentUsed": if requests.max == 0 { 100.0 } else { used as f64 * 100.0 / requests.max as f64 }},
        "apiVersion": settings.api_version,
        "message": format!("{}: {}", account.name, salesforce_actions::usage_words(requests)),
    })))
}

/// `POST /api/accounts/{id}/authorize`: starts Sign in with ServiceNow or Salesforce's Request
/// token; the answer's `url` is opened in a popup, and `redirectUri` is what the OAuth
/// application (or connected app) must name as its callback.
#[utoipa::path(post, path = "/api/accounts/{id}/authorize", tag = "accounts", summary = "Starts Sign in with ServiceNow or Salesforce Request token: the URL for the popup", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn authorize(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account = store::get(&state.db.pool, &admin.tenant_id, &id).await?;
    state
        .limits
        .attempt(&format!("crm account {id}"), rate_limit::CRM_ACTIONS_PER_ACCOUNT)
        .map_err(ApiError::TooMany)?;
    let redirect_uri = state.redirect_uri();
    let url = crate::authorization::start(&state.db.pool, &state.keys, &account, &admin.username, &redirect_uri)
        .await
        .map_err(|e| match e {
            crate::authorization::SignInError::Store(store) => store.into(),
            other => ApiError::Conflict(other.to_string()),
        })?;
    Ok(Json(serde_json::json!({ "url": url, "redirectUri": redirect_uri })))
}
