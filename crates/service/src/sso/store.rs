//! Single sign-on in the database: each tenant's settings per scope; the sign-in requests under
//! way, keyed by the SHA-256 of their opaque RelayState (the IdP's POST to the reply URL is
//! cross-site and carries no cookie, so the state lives here) and claimed once; the phone's
//! finished sign-ins waiting to be claimed with the nonce only the phone holds; and the
//! assertion IDs already used, until they expire.

use sqlx::{AnyConnection, AnyPool, Row};

use super::{Scope, Settings};
use crate::accounts::FieldError;
use crate::accounts::store::StoreError;
use crate::clock;

/// How long a sign-in request stays open.
pub const REQUEST_LIFETIME_MS: i64 = 10 * 60_000;
/// How long a finished phone sign-in waits to be claimed.
pub const LOGIN_LIFETIME_MS: i64 = 2 * 60_000;

/// A scope's settings as stored.
#[derive(Clone, Debug)]
pub struct Stored {
    /// The settings.
    pub settings: Settings,
    /// When last changed (ms since 1970).
    pub updated_at: i64,
}

/// The settings of `scope` for `tenant`, if any.
pub async fn settings(pool: &AnyPool, tenant: &str, scope: Scope) -> Result<Option<Stored>, StoreError> {
    let row = sqlx::query("SELECT settings, updated_at FROM sso_settings WHERE tenant_id = $1 AND scope = $2")
        .bind(tenant)
        .bind(scope.name())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let settings = serde_json::from_str(&row.try_get::<String, _>("settings")?)
        .map_err(|e| StoreError::Field(FieldError::new("settings", e.to_string())))?;
    Ok(Some(Stored { settings, updated_at: row.try_get("updated_at")? }))
}

/// The tenants whose `scope` single sign-on is on, in one read.
pub async fn enabled(pool: &AnyPool, scope: Scope) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT tenant_id, settings FROM sso_settings WHERE scope = $1")
        .bind(scope.name())
        .fetch_all(pool)
        .await?;
    let mut tenants = Vec::new();
    for row in rows {
        let settings: Option<Settings> = serde_json::from_str(&row.try_get::<String, _>("settings")?).ok();
        if settings.is_some_and(|s| s.enabled) {
            tenants.push(row.try_get("tenant_id")?);
        }
    }
    Ok(tenants)
}

/// Replaces the settings of `scope` for `tenant`.
pub async fn save(
    conn: &mut AnyConnection,
    tenant: &str,
    scope: Scope,
    settings: &Settings,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sso_settings (tenant_id, scope, settings, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, scope) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(scope.name())
    .bind(serde_json::to_string(settings).unwrap_or_default())
    .bind(clock::now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

/// A sign-in request under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The tenant.
    pub tenant_id: String,
    /// Whose sign-in.
    pub scope: Scope,
    /// The AuthnRequest's ID, which the response must answer.
    pub request_id: String,
    /// Agents: the phone's origin, checked when the request was made.
    pub widget_origin: Option<String>,
    /// Agents: SHA-256 of the phone's nonce (base64url), under which the result waits.
    pub nonce_hash: Option<String>,
    /// An administrator's Test sign-in: show what came, sign no one in.
    pub test: bool,
}

/// Keeps `request` under the SHA-256 of its RelayState.
pub async fn open_request(pool: &AnyPool, relay_hash: &str, request: &Request) -> Result<(), sqlx::Error> {
    let now = clock::now_ms();
    sqlx::query("DELETE FROM sso_requests WHERE expires_at <= $1").bind(now).execute(pool).await?;
    sqlx::query(
        "INSERT INTO sso_requests (relay_hash, tenant_id, scope, request_id, widget_origin, nonce_hash, test, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(relay_hash)
    .bind(&request.tenant_id)
    .bind(request.scope.name())
    .bind(&request.request_id)
    .bind(&request.widget_origin)
    .bind(&request.nonce_hash)
    .bind(i64::from(request.test))
    .bind(now + REQUEST_LIFETIME_MS)
    .execute(pool)
    .await?;
    if let Some(nonce_hash) = &request.nonce_hash {
        // The phone's poll sees "under way" from now on.
        sqlx::query(
            "INSERT INTO sso_logins (nonce_hash, tenant_id, person_id, expires_at) VALUES ($1, $2, NULL, $3) \
             ON CONFLICT (nonce_hash) DO NOTHING",
        )
        .bind(nonce_hash)
        .bind(&request.tenant_id)
        .bind(now + REQUEST_LIFETIME_MS)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Takes the open request with this RelayState hash, once.
pub async fn claim_request(pool: &AnyPool, relay_hash: &str) -> Result<Option<Request>, sqlx::Error> {
    // One statement: of two answers to one request at once, only the one whose DELETE
    // returned the row goes on.
    let row = sqlx::query(
        "DELETE FROM sso_requests WHERE relay_hash = $1 AND expires_at > $2 \
         RETURNING tenant_id, scope, request_id, widget_origin, nonce_hash, test",
    )
    .bind(relay_hash)
    .bind(clock::now_ms())
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let scope: String = row.try_get("scope")?;
    Ok(Some(Request {
        tenant_id: row.try_get("tenant_id")?,
        scope: Scope::parse(&scope).unwrap_or(Scope::Agents),
        request_id: row.try_get("request_id")?,
        widget_origin: row.try_get("widget_origin")?,
        nonce_hash: row.try_get("nonce_hash")?,
        test: row.try_get::<i64, _>("test")? != 0,
    }))
}

/// Records assertion `id` of `tenant` as used until `until`; `false` when it was used before.
pub async fn first_use(pool: &AnyPool, tenant: &str, id: &str, until: i64) -> Result<bool, sqlx::Error> {
    let now = clock::now_ms();
    sqlx::query("DELETE FROM saml_assertions_seen WHERE expires_at <= $1").bind(now).execute(pool).await?;
    let inserted = sqlx::query(
        "INSERT INTO saml_assertions_seen (tenant_id, assertion_id, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id, assertion_id) DO NOTHING",
    )
    .bind(tenant)
    .bind(id)
    .bind(until.max(now + 60_000))
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The phone's sign-in under `nonce_hash` is done: `person_id` waits to be claimed.
pub async fn finish_login(pool: &AnyPool, nonce_hash: &str, person_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sso_logins SET person_id = $1, expires_at = $2 WHERE nonce_hash = $3")
        .bind(person_id)
        .bind(clock::now_ms() + LOGIN_LIFETIME_MS)
        .bind(nonce_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// The phone's sign-in under `nonce_hash` was refused, for `reason`.
pub async fn refuse_login(pool: &AnyPool, nonce_hash: &str, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sso_logins SET refusal = $1, expires_at = $2 WHERE nonce_hash = $3 AND person_id IS NULL")
        .bind(reason)
        .bind(clock::now_ms() + LOGIN_LIFETIME_MS)
        .bind(nonce_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// What the phone's poll finds under its nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Nothing (never started, expired, or claimed already).
    Unknown,
    /// The agent is still at the IdP.
    Pending,
    /// Signed in: the person's id (the row is gone).
    Done(String),
    /// Refused, for this reason (the row is gone).
    Refused(String),
}

/// Claims the sign-in waiting under `nonce_hash`, once.
pub async fn claim_login(pool: &AnyPool, nonce_hash: &str) -> Result<Claim, sqlx::Error> {
    let now = clock::now_ms();
    let row = sqlx::query("SELECT person_id, refusal FROM sso_logins WHERE nonce_hash = $1 AND expires_at > $2")
        .bind(nonce_hash)
        .bind(now)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(Claim::Unknown) };
    if let Some(refusal) = row.try_get::<Option<String>, _>("refusal")? {
        sqlx::query("DELETE FROM sso_logins WHERE nonce_hash = $1").bind(nonce_hash).execute(pool).await?;
        return Ok(Claim::Refused(refusal));
    }
    let Some(person) = row.try_get::<Option<String>, _>("person_id")? else { return Ok(Claim::Pending) };
    let deleted = sqlx::query("DELETE FROM sso_logins WHERE nonce_hash = $1 AND person_id = $2")
        .bind(nonce_hash)
        .bind(&person)
        .execute(pool)
        .await?;
    Ok(if deleted.rows_affected() == 1 { Claim::Done(person) } else { Claim::Unknown })
}
