//! The instance's OAuth 2.0 authorisation server. For the widget, a public client: RFC 6749's
//! authorization code grant with RFC 7636's PKCE (`/oauth_auth.do` asks the signed-in user to
//! Allow or Deny, `/oauth_token.do` trades the code). For the integration service, a
//! confidential client (id and secret): the password grant with an instance user's credentials
//! (which the instance's hardening property can turn off) and the refresh token grant, with
//! refresh tokens that expire. The REST API accepts only the access tokens issued here, until
//! they expire.

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
use super::instance::{INSTANCE_ADMIN, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, ServiceNowInstance};

/// How long a code may wait to be traded for a token.
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long an access token lives, as the instance's default (`expires_in` 1799).
const TOKEN_LIFETIME_SECONDS: u64 = 1799;
/// How long a refresh token lives, as the application registry's default (100 days).
const REFRESH_LIFETIME: Duration = Duration::from_secs(8_640_000);

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

/// A registered confidential client (the integration service): an id, a secret, and the
/// redirect URL its authorization code requests must name (none: it uses the password grant
/// only).
struct ConfidentialClient {
    id: String,
    secret: String,
    redirect_uri: Option<String>,
}

/// A refresh token: which client holds it and until when it works.
struct RefreshGrant {
    client_id: String,
    expires: Instant,
}

/// The clients, users, pending consents, codes and tokens of the instance.
pub(crate) struct OAuthState {
    clients: Vec<Client>,
    confidential: Vec<ConfidentialClient>,
    /// Instance users and their passwords (the password grant's resource owners).
    users: Vec<(String, String)>,
    /// Whether the password grant is allowed (`glide.oauth.inbound.ropc.grant_type.disabled`
    /// is false).
    pub(crate) password_grant: bool,
    refresh_tokens: HashMap<String, RefreshGrant>,
    consents: HashMap<String, Consent>,
    codes: HashMap<String, Grant>,
    /// Access tokens and when each expires.
    tokens: HashMap<String, Instant>,
}

impl OAuthState {
    /// An instance with the widget's application (`client_id`, redirecting to `redirect_uri`),
    /// the service's confidential client and one instance user, per [`instance`](super::instance).
    pub(crate) fn new(client_id: &str, redirect_uri: &str) -> Self {
        let client = Client { id: client_id.into(), name: "Framephone".into(), redirect_uri: redirect_uri.into() };
        let service = ConfidentialClient {
            id: SERVICE_CLIENT_ID.into(),
            secret: SERVICE_CLIENT_SECRET.into(),
            redirect_uri: None,
        };
        OAuthState {
            clients: vec![client],
            confidential: vec![service],
            users: vec![(INSTANCE_ADMIN.0.into(), INSTANCE_ADMIN.1.into())],
            password_grant: true,
            refresh_tokens: HashMap::new(),
            consents: HashMap::new(),
            codes: HashMap::new(),
            tokens: HashMap::new(),
        }
    }

    /// Registers `uri` as the redirect URL of the service's confidential client.
    pub(crate) fn set_service_redirect_uri(&mut self, uri: &str) {
        for client in &mut self.confidential {
            client.redirect_uri = Some(uri.to_owned());
        }
    }

    /// The name and redirect URL of the client `id`, public or confidential.
    fn registered(&self, id: &str) -> Option<(String, String)> {
        let public = self.clients.iter().find(|c| c.id == id).map(|c| (c.name.clone(), c.redirect_uri.clone()));
        public.or_else(|| {
            let confidential = self.confidential.iter().find(|c| c.id == id)?;
            Some(("Framephone integration service".to_owned(), confidential.redirect_uri.clone()?))
        })
    }

    fn issue_refresh_token(&mut self, client_id: &str) -> String {
        let refresh_token = ids::secret();
        let grant = RefreshGrant { client_id: client_id.into(), expires: Instant::now() + REFRESH_LIFETIME };
        self.refresh_tokens.insert(refresh_token.clone(), grant);
        refresh_token
    }

    pub(crate) fn expire_refresh_tokens(&mut self) {
        let now = Instant::now();
        self.refresh_tokens.values_mut().for_each(|grant| grant.expires = now);
    }

    fn confidential_client(&self, form: &Params) -> bool {
        self.confidential.iter().any(|c| c.id == param(form, "client_id") && c.secret == param(form, "client_secret"))
    }

    fn issue_access_token(&mut self) -> String {
        let access_token = ids::secret();
        self.tokens.insert(access_token.clone(), Instant::now() + Duration::from_secs(TOKEN_LIFETIME_SECONDS));
        access_token
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
    let Some((name, registered_uri)) = oauth.registered(client_id) else {
        return consent_page::refused(&Refusal::UnknownClient(client_id.into()).to_string());
    };
    let redirect_uri = param(&params, "redirect_uri");
    let refusal = if redirect_uri != registered_uri {
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

/// What the instance answers for a refused client, user or refresh token: one answer for all,
/// so that a caller cannot tell which part was wrong.
fn refused() -> Response {
    token_error(StatusCode::UNAUTHORIZED, "server_error", "access_denied")
}

fn token_answer(access_token: String, refresh_token: Option<String>) -> Response {
    let mut body = serde_json::json!({
        "access_token": access_token, "scope": "useraccount", "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS,
    });
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = refresh_token.into();
    }
    json(StatusCode::OK, &body)
}

/// `POST /oauth_token.do`: a form-encoded grant (authorization code, password or refresh token)
/// traded for an access token.
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
    let mut state = instance.lock();
    let oauth = &mut state.oauth;
    match param(&form, "grant_type") {
        "authorization_code" => authorization_code(oauth, &form),
        "password" => password(oauth, &form),
        "refresh_token" => refresh(oauth, &form),
        _ => token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "unsupported_grant_type"),
    }
}

/// The authorization code grant: a public client with its PKCE verifier gets an access token;
/// the confidential client, which must also send its secret, gets a refresh token too.
fn authorization_code(oauth: &mut OAuthState, form: &Params) -> Response {
    // A code is spent by the first attempt, right or wrong, so that a verifier cannot be guessed.
    let grant = oauth.codes.remove(param(form, "code"));
    let client_id = param(form, "client_id");
    let confidential = oauth.confidential.iter().any(|c| c.id == client_id);
    let valid = grant.is_some_and(|grant| {
        Instant::now() < grant.expires
            && grant.client_id == client_id
            && grant.redirect_uri == param(form, "redirect_uri")
            && verifier_matches(param(form, "code_verifier"), &grant.code_challenge)
    }) && (!confidential || oauth.confidential_client(form));
    if !valid {
        return token_error(StatusCode::UNAUTHORIZED, "access_denied", "access_denied");
    }
    let refresh_token = confidential.then(|| oauth.issue_refresh_token(client_id));
    token_answer(oauth.issue_access_token(), refresh_token)
}

/// The resource owner password grant: a confidential client and an instance user's credentials.
fn password(oauth: &mut OAuthState, form: &Params) -> Response {
    if !oauth.password_grant {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "unsupported_grant_type");
    }
    let user_ok = oauth
        .users
        .iter()
        .any(|(user, password)| user == param(form, "username") && password == param(form, "password"));
    if !oauth.confidential_client(form) || !user_ok {
        return refused();
    }
    let refresh_token = oauth.issue_refresh_token(param(form, "client_id"));
    token_answer(oauth.issue_access_token(), Some(refresh_token))
}

/// The refresh token grant: the same refresh token comes back (the instance does not rotate it).
fn refresh(oauth: &mut OAuthState, form: &Params) -> Response {
    let refresh_token = param(form, "refresh_token");
    let live = oauth
        .refresh_tokens
        .get(refresh_token)
        .is_some_and(|grant| grant.client_id == param(form, "client_id") && Instant::now() < grant.expires);
    if !oauth.confidential_client(form) || !live {
        return refused();
    }
    token_answer(oauth.issue_access_token(), Some(refresh_token.to_owned()))
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
