//! A ServiceNow account's actions against its instance: Request refresh token by the password
//! grant (the administrator's credentials used once), an access token from the refresh token,
//! and Test connection, each failure told in words an administrator can act on.

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::ServiceNowSettings;
use crate::secret::Secret;

/// The tables the service reads or writes on an instance, checked by Test connection.
pub const TABLES: [(&str, &str); 2] = [("sys_user", "read users"), ("sn_openframe_phone_log", "write call logs")];

/// Tokens the instance issued.
#[derive(Debug)]
pub struct Tokens {
    /// The access token.
    pub access: Secret,
    /// The refresh token, when the grant returns one.
    pub refresh: Option<Secret>,
    /// Seconds the access token lives.
    pub expires_in: u64,
}

/// Why the instance gave no token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenFailure {
    /// The instance could not be reached.
    #[error("{url} could not be reached: {reason}. Check the instance URL and that the service can reach it.")]
    Unreachable {
        /// The token endpoint.
        url: String,
        /// The network's reason.
        reason: String,
    },
    /// The instance refuses the password grant.
    #[error(
        "the instance refuses the password grant (its property glide.oauth.inbound.ropc.grant_type.disabled is true): use Sign in with ServiceNow instead, or ask the instance's administrator to allow it"
    )]
    PasswordGrantDisabled,
    /// The password grant was refused.
    #[error(
        "the instance refused the request ({status} {error}): check the client id and client secret of the OAuth application, and the ServiceNow username and password"
    )]
    CredentialsRefused {
        /// The HTTP status.
        status: u16,
        /// The OAuth error code.
        error: String,
    },
    /// The refresh token grant was refused.
    #[error(
        "the instance refused the refresh token ({status} {error}): it expired or was revoked, or the client secret changed. Choose Request refresh token again"
    )]
    RefreshRefused {
        /// The HTTP status.
        status: u16,
        /// The OAuth error code.
        error: String,
    },
    /// The authorization code was refused.
    #[error(
        "the instance refused the sign-in's code ({status} {error}): check the client secret, and that the OAuth application's redirect URL is the service's /oauth/callback"
    )]
    CodeRefused {
        /// The HTTP status.
        status: u16,
        /// The OAuth error code.
        error: String,
    },
    /// The account has no refresh token yet.
    #[error("the account has no refresh token yet: choose Request refresh token")]
    NoRefreshToken,
    /// The account has no client secret yet.
    #[error("the account has no client secret: enter the OAuth application's client secret")]
    NoClientSecret,
    /// The answer is not what an instance answers.
    #[error(
        "{url} answered {status} with something other than a token ({reason}): check that the instance URL is the instance's"
    )]
    Unexpected {
        /// The token endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
    },
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
}

fn token_url(settings: &ServiceNowSettings) -> String {
    format!("{}/oauth_token.do", settings.instance_url)
}

/// Which grant a request is, for the failure's wording.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    Password,
    Refresh,
    Code,
}

async fn request_token(
    http: &reqwest::Client,
    settings: &ServiceNowSettings,
    grant: Grant,
    form: &[(&str, &str)],
) -> Result<Tokens, TokenFailure> {
    let url = token_url(settings);
    let unreachable = |e: reqwest::Error| TokenFailure::Unreachable { url: url.clone(), reason: without_url(&e) };
    let response = http.post(&url).form(form).send().await.map_err(unreachable)?;
    let status = response.status();
    if status.is_redirection() {
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let reason = format!("a redirect to {location}");
        return Err(TokenFailure::Unexpected { url, status: status.as_u16(), reason });
    }
    let body = response.bytes().await.map_err(unreachable)?;
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| TokenFailure::Unexpected {
        url: url.clone(),
        status: status.as_u16(),
        reason: format!("not JSON: {e}"),
    })?;
    let error = answer.error.clone().unwrap_or_default();
    if grant == Grant::Password && error == "unsupported_grant_type" {
        return Err(TokenFailure::PasswordGrantDisabled);
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::BAD_REQUEST || !error.is_empty() {
        let error = if error.is_empty() { "no error code".to_owned() } else { error };
        return Err(match grant {
            Grant::Password => TokenFailure::CredentialsRefused { status: status.as_u16(), error },
            Grant::Refresh => TokenFailure::RefreshRefused { status: status.as_u16(), error },
            Grant::Code => TokenFailure::CodeRefused { status: status.as_u16(), error },
        });
    }
    match (status.is_success(), answer.access_token) {
        (true, Some(access)) if !access.is_empty() => Ok(Tokens {
            access: Secret::new(access),
            refresh: answer.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            expires_in: answer.expires_in.unwrap_or(1800),
        }),
        _ => Err(TokenFailure::Unexpected { url, status: status.as_u16(), reason: "no access_token".into() }),
    }
}

/// A network error's reason, without the URL (which the message names once already).
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "the connection failed"
    } else {
        "the request failed"
    };
    match std::error::Error::source(error) {
        Some(source) => format!("{kind} ({source})"),
        None => kind.to_owned(),
    }
}

/// Request refresh token: the password grant with an administrator's ServiceNow credentials,
/// which are sent once and never kept.
pub async fn password_grant(
    http: &reqwest::Client,
    settings: &ServiceNowSettings,
    client_secret: &Secret,
    username: &str,
    password: &Secret,
) -> Result<Tokens, TokenFailure> {
    let form = [
        ("grant_type", "password"),
        ("client_id", settings.client_id.as_str()),
        ("client_secret", client_secret.expose()),
        ("username", username),
        ("password", password.expose()),
    ];
    request_token(http, settings, Grant::Password, &form).await
}

/// An access token from the stored refresh token.
pub async fn refresh(
    http: &reqwest::Client,
    settings: &ServiceNowSettings,
    client_secret: &Secret,
    refresh_token: &Secret,
) -> Result<Tokens, TokenFailure> {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", settings.client_id.as_str()),
        ("client_secret", client_secret.expose()),
        ("refresh_token", refresh_token.expose()),
    ];
    request_token(http, settings, Grant::Refresh, &form).await
}

/// Sign in with ServiceNow, its end: the code the instance sent back, traded with the PKCE
/// verifier and the client secret.
pub async fn code_grant(
    http: &reqwest::Client,
    settings: &ServiceNowSettings,
    client_secret: &Secret,
    code: &str,
    redirect_uri: &str,
    verifier: &Secret,
) -> Result<Tokens, TokenFailure> {
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", settings.client_id.as_str()),
        ("client_secret", client_secret.expose()),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.expose()),
    ];
    request_token(http, settings, Grant::Code, &form).await
}

/// Where Sign in with ServiceNow sends the administrator.
pub fn authorize_url(settings: &ServiceNowSettings, redirect_uri: &str, state: &str, challenge: &str) -> String {
    let mut url = url::Url::parse(&format!("{}/oauth_auth.do", settings.instance_url))
        .unwrap_or_else(|_| url::Url::parse("https://invalid.example/").expect("constant"));
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    url.into()
}

/// One line of Test connection's report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// What was checked, in words.
    pub capability: String,
    /// Whether it works.
    pub ok: bool,
    /// What was found, or what to do.
    pub message: String,
}

/// Reads one row of `table` with `access`: whether the integration user may.
pub async fn check_table(
    http: &reqwest::Client,
    settings: &ServiceNowSettings,
    access: &Secret,
    table: &str,
    purpose: &str,
) -> Check {
    let url = format!("{}/api/now/table/{table}?sysparm_limit=1&sysparm_fields=sys_id", settings.instance_url);
    let capability = format!("Table {table} ({purpose})");
    let answer = http.get(&url).bearer_auth(access.expose()).header("accept", "application/json").send().await;
    let (ok, message) = match answer {
        Err(e) => (false, format!("{} could not be reached: {}", settings.instance_url, without_url(&e))),
        Ok(r) if r.status().is_success() => (true, "reachable with the account's token".to_owned()),
        Ok(r) if r.status() == StatusCode::UNAUTHORIZED => {
            (false, "the instance refused the fresh access token (401): check the OAuth application's scope".to_owned())
        }
        Ok(r) if r.status() == StatusCode::FORBIDDEN => {
            (false, format!("the integration user may not use {table} (403): give the user a role whose ACLs allow it"))
        }
        Ok(r) if r.status() == StatusCode::BAD_REQUEST || r.status() == StatusCode::NOT_FOUND => (
            false,
            format!("the instance has no table {table} ({}): install the plugin that provides it", r.status().as_u16()),
        ),
        Ok(r) => (false, format!("the instance answered {} for {table}", r.status())),
    };
    Check { capability, ok, message }
}
