//! Signing an account in at its CRM in the administrator's browser: the authorization code grant
//! with PKCE (RFC 7636): Sign in with ServiceNow (for instances that refuse the password grant)
//! and Salesforce's Request token (the web-server flow). The service keeps the
//! request (its `state`'s hash, the account, the sealed verifier) for 10 minutes and claims it
//! once when the CRM sends the browser back to `/oauth/callback`; nothing of it rides in a
//! cookie, which a cross-site redirect would not carry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

use crate::accounts::salesforce::{self, SalesforceFailure};
use crate::accounts::servicenow::{self, TokenFailure};
use crate::accounts::store::{self, Account, StoreError};
use crate::accounts::{CLIENT_SECRET, CONSUMER_SECRET, SalesforceAuth, Settings};
use crate::clock;
use crate::master_key::{Keyring, Sealed};
use crate::random;
use crate::secret::Secret;

/// How long the CRM has to send the browser back.
pub const LIFETIME_MS: i64 = 10 * 60 * 1000;

fn place(state_hash: &str) -> String {
    format!("authorization_requests/{state_hash}/verifier")
}

/// Why the sign-in did not give a refresh token, in words for the administrator's popup.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// This kind of account has no such flow yet.
    #[error("{0} accounts cannot sign in this way yet")]
    Unsupported(&'static str),
    /// The CRM said no (the user chose Deny, or refused the request).
    #[error("the CRM did not authorise the service: {0}")]
    Denied(String),
    /// The `state` is unknown, used or expired.
    #[error("this sign-in is unknown or expired (10 minutes, once): start it again from the admin page")]
    UnknownRequest,
    /// The instance's code exchange failed.
    #[error(transparent)]
    Token(#[from] TokenFailure),
    /// The org's code exchange failed.
    #[error(transparent)]
    Salesforce(#[from] SalesforceFailure),
    /// The CRM gave no refresh token.
    #[error(
        "the CRM issued no refresh token: the OAuth application must allow refresh tokens (ServiceNow: a Refresh Token Lifespan above 0; Salesforce: the refresh_token scope)"
    )]
    NoRefreshToken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SignInError {
    fn from(error: sqlx::Error) -> Self {
        SignInError::Store(error.into())
    }
}

/// Starts a sign-in for `account` by `actor`: the URL to open in the popup.
pub async fn start(
    pool: &AnyPool,
    keys: &Keyring,
    account: &Account,
    actor: &str,
    redirect_uri: &str,
) -> Result<String, SignInError> {
    if account.salesforce().is_some_and(|s| s.auth == SalesforceAuth::JwtBearer) {
        return Err(SignInError::Unsupported("JWT bearer"));
    }
    let state = random::token();
    let verifier = Secret::new(random::token());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.expose().as_bytes()));
    let state_hash = random::token_hash(&state);
    let Sealed { key_id, sealed } = keys.seal(&place(&state_hash), &verifier);
    let now = clock::now_ms();
    sqlx::query("DELETE FROM authorization_requests WHERE expires_at <= $1").bind(now).execute(pool).await?;
    sqlx::query(
        "INSERT INTO authorization_requests (state_hash, account_id, actor, key_id, sealed_verifier, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&state_hash)
    .bind(&account.id)
    .bind(actor)
    .bind(key_id)
    .bind(sealed)
    .bind(now + LIFETIME_MS)
    .execute(pool)
    .await?;
    Ok(match &account.settings {
        Settings::Servicenow(settings) => servicenow::authorize_url(settings, redirect_uri, &state, &challenge),
        Settings::Salesforce(settings) => salesforce::authorize_url(settings, redirect_uri, &state, &challenge),
    })
}

/// Ends the sign-in the CRM sent back with `state` and `code` (or `error`): the refresh token
/// stored, and the account it is for.
pub async fn finish(
    pool: &AnyPool,
    keys: &Keyring,
    http: &reqwest::Client,
    state: &str,
    outcome: Result<&str, &str>,
    redirect_uri: &str,
) -> Result<Account, SignInError> {
    let state_hash = random::token_hash(state);
    let row = sqlx::query(
        "DELETE FROM authorization_requests WHERE state_hash = $1 AND expires_at > $2 RETURNING account_id, actor, key_id, sealed_verifier",
    )
    .bind(&state_hash)
    .bind(clock::now_ms())
    .fetch_optional(pool)
    .await?
    .ok_or(SignInError::UnknownRequest)?;
    let code = outcome.map_err(|error| SignInError::Denied(error.to_owned()))?;
    let account_id: String = row.try_get("account_id")?;
    let account = store::get(pool, &store::tenant_of(pool, &account_id).await?, &account_id).await?;
    let actor: String = row.try_get("actor")?;
    let sealed = Sealed { key_id: row.try_get("key_id")?, sealed: row.try_get("sealed_verifier")? };
    let verifier = keys.open(&place(&state_hash), &sealed).map_err(StoreError::from)?;
    let (refresh, expires_at, how) = match &account.settings {
        Settings::Servicenow(settings) => {
            let secret = store::read_secret(pool, keys, &account.id, CLIENT_SECRET)
                .await?
                .ok_or(TokenFailure::NoClientSecret)?;
            let tokens = servicenow::code_grant(http, settings, &secret, code, redirect_uri, &verifier).await?;
            let expires_at = clock::now_ms() + i64::from(settings.refresh_token_lifetime_days) * 24 * 3600 * 1000;
            (tokens.refresh, Some(expires_at), "signed in with ServiceNow (authorization code)")
        }
        Settings::Salesforce(settings) => {
            let secret = store::read_secret(pool, keys, &account.id, CONSUMER_SECRET).await?.ok_or(
                SalesforceFailure::Missing(
                    "the account has no consumer secret: enter the connected app's consumer secret",
                ),
            )?;
            let tokens = salesforce::code_grant(http, settings, &secret, code, redirect_uri, &verifier).await?;
            (tokens.refresh, None, "signed in with Salesforce (web-server flow)")
        }
    };
    let refresh = refresh.ok_or(SignInError::NoRefreshToken)?;
    store::store_refresh_token(pool, keys, &actor, &account, &refresh, expires_at, how).await?;
    Ok(store::get(pool, &account.tenant_id, &account.id).await?)
}
