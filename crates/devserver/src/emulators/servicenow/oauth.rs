//! The instance's OAuth 2.0 authorisation server for public clients (RFC 6749's authorization
//! code grant with RFC 7636's PKCE): `/oauth_auth.do` asks the signed-in user to Allow or Deny,
//! `/oauth_token.do` trades a code for an access token, and the REST API accepts only the
//! tokens issued here, until they expire.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::consent_page;
use super::ids;
use super::instance::ServiceNowInstance;

/// How long a code may wait to be traded for a token.
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long an access token lives, as the instance's default (`expires_in` 1799).
const TOKEN_LIFETIME_SECONDS: u64 = 1799;

/// A registered OAuth application (a public client: no secret).
struct Client {
    id: String,
    name: String,
    redirect_uri: String,
}

/// An authorisation request shown to the user, waiting for Allow or Deny.
struct Consent {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
}

/// A code handed out by Allow, not yet traded.
struct Grant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    expires: Instant,
}

/// The clients, pending consents, codes and tokens of the instance.
pub(crate) struct OAuthState {
    clients: Vec<Client>,
    consents: HashMap<String, Consent>,
    codes: HashMap<String, Grant>,
    /// Access tokens and when each expires.
    tokens: HashMap<String, Instant>,
}

impl OAuthState {
    /// An instance with one registered application, `client_id`, redirecting to `redirect_uri`.
    pub(crate) fn new(client_id: &str, redirect_uri: &str) -> Self {
        let client = Client { id: client_id.into(), name: "Framephone".into(), redirect_uri: redirect_uri.into() };
        OAuthState { clients: vec![client], consents: HashMap::new(), codes: HashMap::new(), tokens: HashMap::new() }
    }

    pub(crate) fn expire_tokens(&mut self) {
        let now = Instant::now();
        self.tokens.values_mut().for_each(|expiry| *expiry = now);
    }

    /// Whether `headers` carry `Authorization: Bearer <a live token>`.
    pub(crate) fn authorises(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let Some((scheme, token)) = value.split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && self.tokens.get(token.trim()).is_some_and(|expiry| Instant::now() < *expiry)
    }
}

/// Why an authorisation request is refused outright (no redirect: the redirect URI cannot be
/// trusted, or the request is not one the client should have made).
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("No OAuth application is registered with client_id {0:?}.")]
    UnknownClient(String),
    #[error("The redirect_uri {0:?} is not the redirect URL registered for this application.")]
    RedirectMismatch(String),
    #[error("response_type must be \"code\", not {0:?}.")]
    ResponseType(String),
    #[error("The request has no state parameter.")]
    MissingState,
    #[error("The request has no code_challenge: this application must use PKCE.")]
    MissingChallenge,
    #[error("code_challenge_method must be \"S256\", not {0:?}.")]
    ChallengeMethod(String),
    #[error("This authorisation request was already answered or never existed.")]
    UnknownConsent,
}

type Params = HashMap<String, String>;

fn param<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).map(String::as_str).unwrap_or("")
}

/// `GET /oauth_auth.do`: the consent page, or the reason the request is refused.
pub(crate) async fn authorise(State(instance): State<ServiceNowInstance>, Query(params): Query<Params>) -> Response {
    let mut state = instance.lock();
    let oauth = &mut state.oauth;
    let client_id = param(&params, "client_id");
    let Some(client) = oauth.clients.iter().find(|c| c.id == client_id) else {
        return consent_page::refused(&Refusal::UnknownClient(client_id.into()).to_string());
    };
    let redirect_uri = param(&params, "redirect_uri");
    let refusal = if redirect_uri != client.redirect_uri {
        Some(Refusal::RedirectMismatch(redirect_uri.into()))
    } else if param(&params, "response_type") != "code" {
        Some(Refusal::ResponseType(param(&params, "response_type").into()))
    } else if param(&params, "state").is_empty() {
        Some(Refusal::MissingState)
    } else if param(&params, "code_challenge").is_empty() {
        Some(Refusal::MissingChallenge)
    } else if param(&params, "code_challenge_method") != "S256" {
        Some(Refusal::ChallengeMethod(param(&params, "code_challenge_method").into()))
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return consent_page::refused(&refusal.to_string());
    }
    let name = client.name.clone();
    let id = ids::secret();
    let consent = Consent {
        client_id: client_id.into(),
        redirect_uri: redirect_uri.into(),
        state: param(&params, "state").into(),
        code_challenge: param(&params, "code_challenge").into(),
    };
    oauth.consents.insert(id.clone(), consent);
    consent_page::ask(&name, &id)
}

/// `POST /oauth_auth.do`: the user's Allow or Deny, answered by a redirect to the client.
pub(crate) async fn decide(State(instance): State<ServiceNowInstance>, body: axum::body::Bytes) -> Response {
    let form: Params = form_urlencoded::parse(&body).into_owned().collect();
    let mut state = instance.lock();
    let oauth = &mut state.oauth;
    let Some(consent) = oauth.consents.remove(param(&form, "consent")) else {
        return consent_page::refused(&Refusal::UnknownConsent.to_string());
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    if param(&form, "decision") == "allow" {
        let code = ids::secret();
        query.append_pair("code", &code);
        oauth.codes.insert(
            code,
            Grant {
                client_id: consent.client_id,
                redirect_uri: consent.redirect_uri.clone(),
                code_challenge: consent.code_challenge,
                expires: Instant::now() + CODE_LIFETIME,
            },
        );
    } else {
        query.append_pair("error", "access_denied");
    }
    query.append_pair("state", &consent.state);
    let separator = if consent.redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{}{separator}{}", consent.redirect_uri, query.finish());
    (StatusCode::FOUND, [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store".into())]).into_response()
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": error, "error_description": description });
    json(status, &body)
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8"), (header::CACHE_CONTROL, "no-store")],
        body.to_string(),
    )
        .into_response()
}

/// Whether `verifier` is a PKCE code verifier (RFC 7636 §4.1) whose S256 challenge is `challenge`.
fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// `POST /oauth_token.do`: a form-encoded authorization code grant traded for an access token.
pub(crate) async fn token(
    State(instance): State<ServiceNowInstance>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return token_error(StatusCode::BAD_REQUEST, "server_error", "unspecified error");
    }
    let form: Params = form_urlencoded::parse(&body).into_owned().collect();
    if param(&form, "grant_type") != "authorization_code" {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "unsupported_grant_type");
    }
    let mut state = instance.lock();
    let oauth = &mut state.oauth;
    // A code is spent by the first attempt, right or wrong, so that a verifier cannot be guessed.
    let grant = oauth.codes.remove(param(&form, "code"));
    let valid = grant.is_some_and(|grant| {
        Instant::now() < grant.expires
            && grant.client_id == param(&form, "client_id")
            && grant.redirect_uri == param(&form, "redirect_uri")
            && verifier_matches(param(&form, "code_verifier"), &grant.code_challenge)
    });
    if !valid {
        return token_error(StatusCode::UNAUTHORIZED, "access_denied", "access_denied");
    }
    let access_token = ids::secret();
    oauth.tokens.insert(access_token.clone(), Instant::now() + Duration::from_secs(TOKEN_LIFETIME_SECONDS));
    let body = serde_json::json!({
        "access_token": access_token, "scope": "useraccount", "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS,
    });
    json(StatusCode::OK, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_base64url_of_sha256() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
        assert!(!verifier_matches("short", &URL_SAFE_NO_PAD.encode(Sha256::digest(b"short"))), "under 43 characters");
    }
}
