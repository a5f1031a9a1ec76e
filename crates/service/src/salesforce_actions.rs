//! A Salesforce account's actions: an access token by its sign-in mode (the refresh token,
//! rotated when the org rotates it, or the JWT bearer flow), Test connection and Check limits.

use sqlx::AnyPool;

use crate::accounts::salesforce::{self, ApiRequests, SalesforceFailure, Tokens};
use crate::accounts::servicenow::Check;
use crate::accounts::store::{self, Account, StoreError};
use crate::accounts::{CONSUMER_SECRET, PRIVATE_KEY, REFRESH_TOKEN, SalesforceAuth, SalesforceSettings};
use crate::master_key::Keyring;

/// Why there is no access token: the org's answer, or the store's failure.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The org refused or failed.
    #[error(transparent)]
    Salesforce(#[from] SalesforceFailure),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An access token for `account`, by its sign-in mode; a rotated refresh token is kept first.
pub async fn access(
    pool: &AnyPool,
    keys: &Keyring,
    http: &reqwest::Client,
    account: &Account,
    settings: &SalesforceSettings,
    actor: &str,
) -> Result<Tokens, AccessError> {
    match settings.auth {
        SalesforceAuth::JwtBearer => {
            let pem =
                store::read_secret(pool, keys, &account.id, PRIVATE_KEY).await?.ok_or(SalesforceFailure::Missing(
                    "the account has no private key: upload the key whose certificate the connected app holds",
                ))?;
            Ok(salesforce::jwt_bearer(http, settings, &pem).await?)
        }
        SalesforceAuth::RefreshToken => {
            let secret = store::read_secret(pool, keys, &account.id, CONSUMER_SECRET).await?.ok_or(
                SalesforceFailure::Missing(
                    "the account has no consumer secret: enter the connected app's consumer secret",
                ),
            )?;
            let refresh = store::read_secret(pool, keys, &account.id, REFRESH_TOKEN)
                .await?
                .ok_or(SalesforceFailure::Missing("the account has no refresh token yet: choose Request token"))?;
            let tokens = salesforce::refresh(http, settings, &secret, &refresh).await?;
            // No known expiry: a Salesforce refresh token lives until revoked unless the app says otherwise.
            if let Some(new) = tokens.refresh.as_ref().filter(|new| **new != refresh) {
                store::store_refresh_token(pool, keys, actor, account, new, None, "rotated by Salesforce").await?;
            }
            Ok(tokens)
        }
    }
}

/// Words for the daily API requests: "12 of 15,000 used (0.1 %)".
pub fn usage_words(requests: ApiRequests) -> String {
    let used = requests.max.saturating_sub(requests.remaining);
    let percent = if requests.max == 0 { 100.0 } else { used as f64 * 100.0 / requests.max as f64 };
    format!(
        "{} of {} daily API requests used ({percent:.1} %), {} remaining",
        thousands(used),
        thousands(requests.max),
        thousands(requests.remaining)
    )
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Test connection: the sign-in, the API version, the daily API requests (failed at 90 % used).
pub async fn test_connection(
    pool: &AnyPool,
    keys: &Keyring,
    http: &reqwest::Client,
    account: &Account,
    settings: &SalesforceSettings,
    actor: &str,
) -> Result<Vec<Check>, StoreError> {
    let sign_in = match settings.auth {
        SalesforceAuth::JwtBearer => {
            format!("Sign-in (JWT bearer as {})", settings.username.clone().unwrap_or_default())
        }
        SalesforceAuth::RefreshToken => "Token refresh".to_owned(),
    };
    let version = format!("API version {}", settings.api_version);
    let mut checks = Vec::new();
    let tokens = match access(pool, keys, http, account, settings, actor).await {
        Ok(tokens) => tokens,
        Err(AccessError::Store(error)) => return Err(error),
        Err(AccessError::Salesforce(failure)) => {
            checks.push(Check { capability: sign_in, ok: false, message: failure.to_string() });
            for capability in [version, "Daily API requests".to_owned()] {
                checks.push(Check { capability, ok: false, message: "not checked: it needs an access token".into() });
            }
            return Ok(checks);
        }
    };
    checks.push(Check { capability: sign_in, ok: true, message: "Salesforce gave an access token".into() });
    checks.push(match salesforce::has_version(http, settings).await {
        Ok(true) => Check { capability: version, ok: true, message: "offered by the org".into() },
        Ok(false) => Check {
            capability: version,
            ok: false,
            message: "the org does not offer it: choose a version it lists at /services/data/".into(),
        },
        Err(failure) => Check { capability: version, ok: false, message: failure.to_string() },
    });
    checks.push(match salesforce::limits(http, settings, &tokens.access).await {
        Ok(requests) => {
            let ok = requests.remaining * 10 > requests.max;
            Check { capability: "Daily API requests".into(), ok, message: usage_words(requests) }
        }
        Err(failure) => Check { capability: "Daily API requests".into(), ok: false, message: failure.to_string() },
    });
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_told_with_thousands_and_a_percentage() {
        assert_eq!(
            usage_words(ApiRequests { max: 15_000, remaining: 14_988 }),
            "12 of 15,000 daily API requests used (0.1 %), 14,988 remaining"
        );
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
