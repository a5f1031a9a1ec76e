//! A Salesforce account's calls to its org, always at its My Domain URL: the web-server flow's
//! code exchange (with PKCE), refresh (the org may rotate the refresh token), the JWT bearer
//! flow (RS256, signed here with the account's private key), the API versions and the limits.
//! Failures are told in words an administrator can act on.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Deserialize;

use super::SalesforceSettings;
use crate::clock;
use crate::secret::Secret;

/// Tokens the org issued.
#[derive(Debug)]
pub struct Tokens {
    /// The access token (the org gives no lifetime; its session settings decide).
    pub access: Secret,
    /// The refresh token, when the flow returns one (a new one when the org rotates them).
    pub refresh: Option<Secret>,
}

/// Why the org gave no token or answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SalesforceFailure {
    /// The org could not be reached.
    #[error("{url} could not be reached: {reason}. Check the My Domain URL and that the service can reach it.")]
    Unreachable {
        /// The URL.
        url: String,
        /// The network's reason.
        reason: String,
    },
    /// The consumer key or secret was refused.
    #[error(
        "Salesforce refused the consumer key or secret ({error}): check the connected app's consumer key and consumer secret"
    )]
    Client {
        /// The OAuth error code.
        error: String,
    },
    /// The refresh token no longer works.
    #[error(
        "Salesforce refused the refresh token ({description}): it was revoked or expired. Choose Request token again"
    )]
    RefreshRevoked {
        /// The org's words.
        description: String,
    },
    /// The JWT's audience is not this org.
    #[error(
        "Salesforce refused the JWT's audience: the My Domain URL must be this org's (test.salesforce.com and login.salesforce.com are refused)"
    )]
    Audience,
    /// The user has not approved the connected app.
    #[error(
        "the user {0} has not approved the connected app: pre-authorise it (the connected app's Policies: Admin approved users)"
    )]
    NotApproved(String),
    /// The signed assertion was refused.
    #[error(
        "Salesforce refused the signed assertion ({0}): the private key must match the certificate uploaded to the connected app"
    )]
    Assertion(String),
    /// Another refusal.
    #[error("Salesforce refused the request ({status} {error}: {description})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// OAuth error code.
        error: String,
        /// The org's words.
        description: String,
    },
    /// The account lacks what the flow needs.
    #[error("{0}")]
    Missing(&'static str),
    /// The private key does not parse.
    #[error("the private key cannot be used: {0}")]
    PrivateKey(String),
    /// The answer is not what an org answers.
    #[error("{url} answered {status} with something else than expected ({reason}): check the My Domain URL")]
    Unexpected {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn network(error: &reqwest::Error) -> String {
    if error.is_timeout() { "no answer in time".into() } else { "the connection failed".into() }
}

async fn request_token(
    http: &reqwest::Client,
    settings: &SalesforceSettings,
    form: &[(&str, &str)],
    username: &str,
) -> Result<Tokens, SalesforceFailure> {
    let url = format!("{}/services/oauth2/token", settings.my_domain_url);
    let response = http
        .post(&url)
        .form(form)
        .send()
        .await
        .map_err(|e| SalesforceFailure::Unreachable { url: url.clone(), reason: network(&e) })?;
    let status = response.status().as_u16();
    let body =
        response.bytes().await.map_err(|e| SalesforceFailure::Unreachable { url: url.clone(), reason: network(&e) })?;
    let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| SalesforceFailure::Unexpected {
        url: url.clone(),
        status,
        reason: format!("not JSON: {e}"),
    })?;
    if let Some(error) = answer.error {
        let description = answer.error_description.unwrap_or_default();
        return Err(match (error.as_str(), description.as_str()) {
            ("invalid_client" | "invalid_client_id", _) => SalesforceFailure::Client { error },
            ("invalid_grant", "expired access/refresh token") => SalesforceFailure::RefreshRevoked { description },
            ("invalid_grant", "audience is invalid") => SalesforceFailure::Audience,
            ("invalid_grant", "user hasn't approved this consumer") => {
                SalesforceFailure::NotApproved(username.to_owned())
            }
            ("invalid_grant", "invalid assertion") => SalesforceFailure::Assertion(description),
            _ => SalesforceFailure::Refused { status, error, description },
        });
    }
    match answer.access_token {
        Some(access) if (200..300).contains(&status) && !access.is_empty() => Ok(Tokens {
            access: Secret::new(access),
            refresh: answer.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
        }),
        _ => Err(SalesforceFailure::Unexpected { url, status, reason: "no access_token".into() }),
    }
}

/// Where Request token sends the administrator (the web-server flow with PKCE).
pub fn authorize_url(settings: &SalesforceSettings, redirect_uri: &str, state: &str, challenge: &str) -> String {
    let base = format!("{}/services/oauth2/authorize", settings.my_domain_url);
    let mut url =
        url::Url::parse(&base).unwrap_or_else(|_| url::Url::parse("https://invalid.example/").expect("constant"));
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.consumer_key)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("scope", "api refresh_token")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    url.into()
}

/// The web-server flow's end: the code traded with the verifier and the consumer secret.
pub async fn code_grant(
    http: &reqwest::Client,
    settings: &SalesforceSettings,
    secret: &Secret,
    code: &str,
    redirect_uri: &str,
    verifier: &Secret,
) -> Result<Tokens, SalesforceFailure> {
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", settings.consumer_key.as_str()),
        ("client_secret", secret.expose()),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier.expose()),
    ];
    request_token(http, settings, &form, "").await
}

/// An access token from the refresh token (and, when the org rotates them, a new refresh token).
pub async fn refresh(
    http: &reqwest::Client,
    settings: &SalesforceSettings,
    secret: &Secret,
    refresh: &Secret,
) -> Result<Tokens, SalesforceFailure> {
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", settings.consumer_key.as_str()),
        ("client_secret", secret.expose()),
        ("refresh_token", refresh.expose()),
    ];
    request_token(http, settings, &form, "").await
}

/// The RSA key in `pem` (PKCS #8 `PRIVATE KEY` or PKCS #1 `RSA PRIVATE KEY`).
pub fn private_key(pem: &Secret) -> Result<RsaKeyPair, SalesforceFailure> {
    let text = pem.expose();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    let der = STANDARD
        .decode(body)
        .map_err(|e| SalesforceFailure::PrivateKey(format!("its PEM body is not base64 ({e})")))?;
    let parsed =
        if text.contains("BEGIN RSA PRIVATE KEY") { RsaKeyPair::from_der(&der) } else { RsaKeyPair::from_pkcs8(&der) };
    parsed.map_err(|e| {
        SalesforceFailure::PrivateKey(format!(
            "it is not an RSA private key ({e}); an encrypted key must be decrypted first"
        ))
    })
}

/// The JWT bearer assertion for `settings.username`: `iss` the consumer key, `aud` the My Domain
/// URL, `exp` three minutes from now, RS256.
pub fn assertion(settings: &SalesforceSettings, key: &RsaKeyPair) -> Result<String, SalesforceFailure> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": settings.consumer_key, "sub": settings.username.clone().unwrap_or_default(),
        "aud": settings.my_domain_url, "exp": clock::now_ms() / 1000 + 180,
    });
    let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), signed.as_bytes(), &mut signature)
        .map_err(|_| SalesforceFailure::PrivateKey("signing failed".into()))?;
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The JWT bearer flow: an access token for the account's username, no refresh token.
pub async fn jwt_bearer(
    http: &reqwest::Client,
    settings: &SalesforceSettings,
    pem: &Secret,
) -> Result<Tokens, SalesforceFailure> {
    let key = private_key(pem)?;
    let jwt = assertion(settings, &key)?;
    let form = [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt.as_str())];
    request_token(http, settings, &form, settings.username.as_deref().unwrap_or("")).await
}

/// The org's daily API requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRequests {
    /// The allowance.
    pub max: u64,
    /// What is left today.
    pub remaining: u64,
}

async fn get_json(
    http: &reqwest::Client,
    url: &str,
    access: Option<&Secret>,
) -> Result<serde_json::Value, SalesforceFailure> {
    let mut request = http.get(url).header("accept", "application/json");
    if let Some(access) = access {
        request = request.bearer_auth(access.expose());
    }
    let response = request
        .send()
        .await
        .map_err(|e| SalesforceFailure::Unreachable { url: url.to_owned(), reason: network(&e) })?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if (200..300).contains(&status) {
        return Ok(body);
    }
    let (error, description) = match body.get(0) {
        Some(first) => {
            (first["errorCode"].as_str().unwrap_or("").to_owned(), first["message"].as_str().unwrap_or("").to_owned())
        }
        None => (String::new(), String::new()),
    };
    Err(SalesforceFailure::Refused { status, error, description })
}

/// Whether the org offers the account's API version.
pub async fn has_version(http: &reqwest::Client, settings: &SalesforceSettings) -> Result<bool, SalesforceFailure> {
    let versions = get_json(http, &format!("{}/services/data/", settings.my_domain_url), None).await?;
    Ok(versions.as_array().is_some_and(|list| list.iter().any(|v| v["version"] == settings.api_version.as_str())))
}

/// Check limits: the daily API requests.
pub async fn limits(
    http: &reqwest::Client,
    settings: &SalesforceSettings,
    access: &Secret,
) -> Result<ApiRequests, SalesforceFailure> {
    let url = format!("{}/services/data/v{}/limits", settings.my_domain_url, settings.api_version);
    let limits = get_json(http, &url, Some(access)).await?;
    let daily = &limits["DailyApiRequests"];
    match (daily["Max"].as_u64(), daily["Remaining"].as_u64()) {
        (Some(max), Some(remaining)) => Ok(ApiRequests { max, remaining }),
        _ => Err(SalesforceFailure::Unexpected { url, status: 200, reason: "no DailyApiRequests".into() }),
    }
}
