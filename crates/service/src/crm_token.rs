//! CRM access tokens for agents: the default account's access token, obtained with its refresh
//! token, kept sealed in the database and handed out until five minutes before it expires.
//! Concurrent requests of one instance share one refresh; a token the CRM refused is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::{AnyPool, Row};

use crate::accounts::servicenow::{self, TokenFailure};
use crate::accounts::store::{self, Account, StoreError};
use crate::accounts::{CLIENT_SECRET, Kind, REFRESH_TOKEN};
use crate::clock;
use crate::master_key::{Keyring, Sealed};
use crate::secret::Secret;

/// A token is handed out only while it has at least this long to live.
const MIN_REMAINING_MS: i64 = 5 * 60 * 1000;

/// A token for an agent.
#[derive(Debug)]
pub struct HandedToken {
    /// The bearer value for the CRM's REST API.
    pub access: Secret,
    /// When to stop using it (ms), already less the margin.
    pub use_until: i64,
    /// The CRM's origin.
    pub site: String,
}

/// Why there is no token for the agent.
#[derive(Debug, thiserror::Error)]
pub enum HandOutError {
    /// No default account of the kind.
    #[error("no default {0} integration account: an administrator must add one")]
    NoAccount(&'static str),
    /// Salesforce's token flows are not in the service yet.
    #[error("the service does not hand out Salesforce tokens yet")]
    Unsupported,
    /// The CRM refused or failed.
    #[error("the {account} integration account cannot get a token: {failure}")]
    Crm {
        /// The account's name.
        account: String,
        /// What the CRM said.
        failure: TokenFailure,
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
    Ok(Some(HandedToken { access, use_until: expires_at - MIN_REMAINING_MS, site: site_of(account) }))
}

fn site_of(account: &Account) -> String {
    account.servicenow().map(|s| s.instance_url.clone()).unwrap_or_default()
}

/// Forgets the cached token of `kind`'s default account if it is `refused` (the CRM answered
/// 401 to it), so that the next request gets a new one.
pub async fn forget_refused(pool: &AnyPool, keys: &Keyring, kind: Kind, refused: &Secret) -> Result<(), HandOutError> {
    let Some(account) = store::default_of(pool, kind).await? else { return Ok(()) };
    if let Some(current) = cached(pool, keys, &account).await?
        && current.access == *refused
    {
        sqlx::query("DELETE FROM crm_access_tokens WHERE account_id = $1").bind(&account.id).execute(pool).await?;
    }
    Ok(())
}

/// The token for `kind`'s default account: the cached one, or a fresh one.
pub async fn hand_out(
    pool: &AnyPool,
    keys: &Keyring,
    http: &reqwest::Client,
    refreshes: &Refreshes,
    kind: Kind,
) -> Result<HandedToken, HandOutError> {
    let account = store::default_of(pool, kind).await?.ok_or(HandOutError::NoAccount(kind.as_str()))?;
    let Some(settings) = account.servicenow() else { return Err(HandOutError::Unsupported) };
    if let Some(token) = cached(pool, keys, &account).await? {
        return Ok(token);
    }
    let lock = refreshes.lock_for(&account.id);
    let _one_at_a_time = lock.lock().await;
    // Another request may have refreshed while this one waited.
    if let Some(token) = cached(pool, keys, &account).await? {
        return Ok(token);
    }
    let crm = |failure| HandOutError::Crm { account: account.name.clone(), failure };
    let secret = store::read_secret(pool, keys, &account.id, CLIENT_SECRET)
        .await?
        .ok_or_else(|| crm(TokenFailure::NoClientSecret))?;
    let refresh = store::read_secret(pool, keys, &account.id, REFRESH_TOKEN)
        .await?
        .ok_or_else(|| crm(TokenFailure::NoRefreshToken))?;
    let tokens = servicenow::refresh(http, settings, &secret, &refresh).await.map_err(crm)?;
    let lifetime = settings.refresh_token_lifetime_days;
    store::keep_rotated(pool, keys, "system", &account, lifetime, &refresh, tokens.refresh.as_ref()).await?;
    let expires_at = clock::now_ms() + tokens.expires_in as i64 * 1000;
    let Sealed { key_id, sealed } = keys.seal(&place(&account.id), &tokens.access);
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
    Ok(HandedToken { access: tokens.access, use_until: expires_at - MIN_REMAINING_MS, site: site_of(&account) })
}
