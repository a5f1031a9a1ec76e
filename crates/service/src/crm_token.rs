//! CRM access tokens for agents and the outbox: the default account's access token, obtained
//! with its refresh token (or, for a Salesforce JWT bearer account, a signed assertion), kept
//! sealed in the database and handed out until five minutes before it expires. Concurrent
//! requests of one instance share one refresh; a token the CRM refused is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{AnyPool, Row};

use crate::accounts::servicenow::{self, TokenFailure};
use crate::accounts::store::{self, Account, StoreError};
use crate::accounts::{CLIENT_SECRET, Kind, REFRESH_TOKEN, ServiceNowSettings, Settings};
use crate::clock;
use crate::master_key::{Keyring, Sealed};
use crate::salesforce_actions::{self, AccessError};
use crate::secret::Secret;

/// A token is handed out only while it has at least this long to live.
const MIN_REMAINING_MS: i64 = 5 * 60 * 1000;
/// How long a Salesforce access token is taken to live: the org answers no lifetime, and 15
/// minutes is the shortest session timeout an org can set. A token that ends sooner is
/// refused with 401, dropped and obtained again.
const SALESFORCE_SESSION_MS: i64 = 15 * 60 * 1000;

/// A token for an agent.
#[derive(Debug)]
pub struct HandedToken {
    /// The bearer value for the CRM's REST API.
    pub access: Secret,
    /// When to stop using it (ms), already less the margin.
    pub use_until: i64,
    /// The CRM's origin.
    pub site: String,
    /// Salesforce's REST API version (`68.0`); empty for ServiceNow.
    pub api_version: String,
}

/// Why there is no token for the agent.
#[derive(Debug, thiserror::Error)]
pub enum HandOutError {
    /// No default account of the kind.
    #[error("no default {0} integration account: an administrator must add one")]
    NoAccount(&'static str),
    /// The CRM refused or failed.
    #[error("the {account} integration account cannot get a token: {failure}")]
    Crm {
        /// The account's name.
        account: String,
        /// What the CRM said, in words for an administrator.
        failure: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for HandOutError {
    fn from(error: sqlx::Error) -> Self {
        HandOutError::Store(error.into())
    }
}

fn place(account_id: &str) -> String {
    format!("crm_access_tokens/{account_id}/accessToken")
}

/// One refresh at a time per account within this instance.
#[derive(Default)]
pub struct Refreshes {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Refreshes {
    fn lock_for(&self, account_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(account_id.to_owned()).or_default().clone()
    }

    /// Waits until no other refresh of the account runs here and holds that until dropped: an
    /// administrator's action that refreshes must not race the outbox's refresh, since a CRM
    /// that rotates refresh tokens ends the one the other is about to use.
    pub async fn hold(&self, account_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.lock_for(account_id).lock_owned().await
    }
}

async fn cached(pool: &AnyPool, keys: &Keyring, account: &Account) -> Result<Option<HandedToken>, HandOutError> {
    let row = sqlx::query("SELECT key_id, sealed, expires_at FROM crm_access_tokens WHERE account_id = $1")
        .bind(&account.id)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at - clock::now_ms() < MIN_REMAINING_MS {
        return Ok(None);
    }
    let sealed = Sealed { key_id: row.try_get("key_id")?, sealed: row.try_get("sealed")? };
    // A cached token that no longer opens (its key removed) is simply obtained again.
    let Ok(access) = keys.open(&place(&account.id), &sealed) else { return Ok(None) };
    Ok(Some(token_of(account, access, expires_at)))
}

/// A token of `account`, with where it is used.
fn token_of(account: &Account, access: Secret, expires_at: i64) -> HandedToken {
    let (site, api_version) = match &account.settings {
        Settings::Servicenow(s) => (s.instance_url.clone(), String::new()),
        Settings::Salesforce(s) => (s.my_domain_url.clone(), s.api_version.clone()),
    };
    HandedToken { access, use_until: expires_at - MIN_REMAINING_MS, site, api_version }
}

/// Forgets the cached token of `tenant`'s default account of `kind` if it is `refused` (the CRM
/// answered 401 to it), so that the next request gets a new one.
pub async fn forget_refused(
    pool: &AnyPool,
    keys: &Keyring,
    tenant: &str,
    kind: Kind,
    refused: &Secret,
) -> Result<(), HandOutError> {
    let Some(account) = store::default_of(pool, tenant, kind).await? else { return Ok(()) };
    if let Some(current) = cached(pool, keys, &account).await?
        && current.access == *refused
    {
        sqlx::query("DELETE FROM crm_access_tokens WHERE account_id = $1").bind(&account.id).execute(pool).await?;
    }
    Ok(())
}

/// The token for `tenant`'s default account of `kind`: the cached one, or a fresh one.
pub async fn hand_out(
    pool: &AnyPool,
    keys: &Keyring,
    http: &reqwest::Client,
    refreshes: &Refreshes,
    tenant: &str,
    kind: Kind,
) -> Result<HandedToken, HandOutError> {
    let account = store::default_of(pool, tenant, kind).await?.ok_or(HandOutError::NoAccount(kind.as_str()))?;
    if let Some(token) = cached(pool, keys, &account).await? {
        return Ok(token);
    }
    let lock = refreshes.lock_for(&account.id);
    let _one_at_a_time = lock.lock().await;
    // Another request may have refreshed while this one waited.
    if let Some(token) = cached(pool, keys, &account).await? {
        return Ok(token);
    }
    let (access, lifetime_ms) = match &account.settings {
        Settings::Servicenow(settings) => servicenow_access(pool, keys, http, &account, settings).await?,
        Settings::Salesforce(settings) => {
            let tokens =
                salesforce_actions::access(pool, keys, http, &account, settings, "system").await.map_err(|error| {
                    match error {
                        AccessError::Store(error) => HandOutError::Store(error),
                        AccessError::Salesforce(failure) => crm_failure(&account, failure),
                    }
                })?;
            (tokens.access, SALESFORCE_SESSION_MS)
        }
    };
    let expires_at = clock::now_ms() + lifetime_ms;
    let Sealed { key_id, sealed } = keys.seal(&place(&account.id), &access);
    sqlx::query(
        "INSERT INTO crm_access_tokens (account_id, key_id, sealed, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account_id) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, expires_at = excluded.expires_at",
    )
    .bind(&account.id)
    .bind(key_id)
    .bind(sealed)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(token_of(&account, access, expires_at))
}

fn crm_failure(account: &Account, failure: impl std::fmt::Display) -> HandOutError {
    HandOutError::Crm { account: account.name.clone(), failure: failure.to_string() }
}

/// A ServiceNow access token by the refresh token (a rotated one kept first) and its lifetime.
async fn servicenow_access(
    pool: &AnyPool,
    keys: &Keyring,
    http: &reqwest::Client,
    account: &Account,
    settings: &ServiceNowSettings,
) -> Result<(Secret, i64), HandOutError> {
    let secret = store::read_secret(pool, keys, &account.id, CLIENT_SECRET)
        .await?
        .ok_or_else(|| crm_failure(account, TokenFailure::NoClientSecret))?;
    let refresh = store::read_secret(pool, keys, &account.id, REFRESH_TOKEN)
        .await?
        .ok_or_else(|| crm_failure(account, TokenFailure::NoRefreshToken))?;
    let tokens = servicenow::refresh(http, settings, &secret, &refresh).await.map_err(|f| crm_failure(account, f))?;
    let lifetime = settings.refresh_token_lifetime_days;
    store::keep_rotated(pool, keys, "system", account, lifetime, &refresh, tokens.refresh.as_ref()).await?;
    Ok((tokens.access, tokens.expires_in as i64 * 1000))
}
