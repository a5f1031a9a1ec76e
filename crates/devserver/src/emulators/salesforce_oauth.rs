//! The org's OAuth 2.0 server for a connected app (a confidential client), and the REST API
//! calls the integration service makes: `/services/oauth2/authorize` (the user's Allow or Deny),
//! `/services/oauth2/token` (authorization code with PKCE, refresh token with rotation, JWT
//! bearer checked against the connected app's certificate with `aud` = the org's My Domain),
//! `/services/data/` (versions) and `/services/data/vXX.X/limits`. Answers are shaped as the
//! org's: no `expires_in`, `instance_url` and `issued_at` in token answers, and its error codes.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::salesforce::SalesforceOrg;
use super::servicenow::ids;

/// The connected app's consumer key.
pub const CONSUMER_KEY: &str = "framephone-connected-app";
/// Its consumer secret.
pub const CONSUMER_SECRET: &str = "connected-app-secret";
/// The org user who approves the app, and the JWT bearer flow's `sub`.
pub const ORG_USER: &str = "integration@acme.example";
/// The API versions the org answers.
const VERSIONS: [&str; 3] = ["66.0", "67.0", "68.0"];
/// The org's daily API request allowance.
const DAILY_API_REQUESTS: u64 = 15_000;

/// The org's OAuth state.
pub(crate) struct OAuth {
    redirect_uri: Option<String>,
    certificate: Option<Vec<u8>>,
    pub(crate) rotation: bool,
    consents: HashMap<String, (String, String, String)>,
    codes: HashMap<String, (String, String, Instant)>,
    refresh_tokens: HashMap<String, Instant>,
    access_tokens: HashMap<String, Instant>,
    pub(crate) api_requests: u64,
}

impl Default for OAuth {
    fn default() -> Self {
        OAuth {
            redirect_uri: None,
            certificate: None,
            rotation: true,
            consents: HashMap::new(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            api_requests: 0,
        }
    }
}

/// A refresh token lives until revoked; the emulator lets tests end them.
const SESSION: Duration = Duration::from_secs(2 * 3600);

impl OAuth {
    pub(crate) fn set_redirect_uri(&mut self, uri: &str) {
        self.redirect_uri = Some(uri.to_owned());
    }

    /// Stores the connected app's certificate (PEM); false when it is not one.
    pub(crate) fn upload_certificate(&mut self, pem: &str) -> bool {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        match STANDARD.decode(body.trim()) {
            Ok(der) if pem.contains("BEGIN CERTIFICATE") => {
                self.certificate = Some(der);
                true
            }
            _ => false,
        }
    }

    pub(crate) fn revoke_refresh_tokens(&mut self) {
        self.refresh_tokens.clear();
    }

    fn issue_access(&mut self) -> String {
        let token = format!("00DDn000000Acme!{}", ids::secret());
        self.access_tokens.insert(token.clone(), Instant::now() + SESSION);
        token
    }

    fn issue_refresh(&mut self) -> String {
        let token = format!("5Aep{}", ids::secret());
        self.refresh_tokens.insert(token.clone(), Instant::now() + Duration::from_secs(365 * 24 * 3600));
        token
    }

    /// Whether `headers` carry a live access token; counts the call against the allowance.
    pub(crate) fn authorises(&mut self, headers: &HeaderMap) -> bool {
        let token =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let live = token.is_some_and(|t| self.access_tokens.get(t.trim()).is_some_and(|until| Instant::now() < *until));
        if live {
            self.api_requests += 1;
        }
        live
    }
}

pub(crate) fn json_answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8"), (header::CACHE_CONTROL, "no-store")],
        body.to_string(),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_answer(status, json!({"error": error, "error_description": description}))
}

fn page(heading: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Salesforce (emulator) — {heading}</title>\
         <link rel=\"stylesheet\" href=\"/emulator.css\"></head><body><main><h1>{heading}</h1>{body}</main></body></html>"
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

type Params = HashMap<String, String>;

fn param<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).map(String::as_str).unwrap_or("")
}

/// `GET /services/oauth2/authorize`: Allow Access? for the connected app, or the refusal.
pub(crate) async fn authorize(State(org): State<SalesforceOrg>, Query(params): Query<Params>) -> Response {
    let mut state = org.lock();
    let oauth = &mut state.oauth;
    let refusal = if param(&params, "client_id") != CONSUMER_KEY {
        Some("error=invalid_client_id&error_description=client identifier invalid")
    } else if oauth.redirect_uri.as_deref() != Some(param(&params, "redirect_uri")) {
        Some("error=redirect_uri_mismatch&error_description=redirect_uri must match configuration")
    } else if param(&params, "response_type") != "code" || param(&params, "code_challenge").is_empty() {
        Some("error=invalid_request&error_description=code and code_challenge are required")
    } else {
        None
    };
    if let Some(refusal) = refusal {
        return page("Remote Access Authorization Error", &format!("<p role=\"alert\">{}</p>", escape(refusal)));
    }
    let consent = ids::secret();
    let request = (
        param(&params, "redirect_uri").to_owned(),
        param(&params, "state").to_owned(),
        param(&params, "code_challenge").to_owned(),
    );
    oauth.consents.insert(consent.clone(), request);
    page(
        "Allow Access?",
        &format!(
            "<p>Framephone integration service is asking to access basic information and manage your data at any time, as {user}.</p>\
             <form method=\"post\" action=\"/services/oauth2/authorize\"><input type=\"hidden\" name=\"consent\" value=\"{consent}\">\
             <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button> \
             <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button></form>",
            user = escape(ORG_USER),
        ),
    )
}

/// `POST /services/oauth2/authorize`: Allow or Deny, answered by a redirect.
pub(crate) async fn decide(State(org): State<SalesforceOrg>, body: axum::body::Bytes) -> Response {
    let form: Params = form_urlencoded::parse(&body).into_owned().collect();
    let mut state = org.lock();
    let oauth = &mut state.oauth;
    let Some((redirect_uri, request_state, challenge)) = oauth.consents.remove(param(&form, "consent")) else {
        return page("Remote Access Authorization Error", "<p role=\"alert\">This request was already answered.</p>");
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    if param(&form, "decision") == "allow" {
        let code = format!("aPrx{}", ids::secret());
        oauth.codes.insert(code.clone(), (redirect_uri.clone(), challenge, Instant::now() + Duration::from_secs(900)));
        query.append_pair("code", &code);
    } else {
        query.append_pair("error", "access_denied").append_pair("error_description", "end-user denied authorization");
    }
    query.append_pair("state", &request_state);
    (StatusCode::FOUND, [(header::LOCATION, format!("{redirect_uri}?{}", query.finish()))]).into_response()
}

fn token_answer(oauth: &mut OAuth, origin: &str, refresh: Option<String>) -> Response {
    let issued_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0).to_string();
    let mut body = json!({
        "access_token": oauth.issue_access(), "signature": ids::secret(), "scope": "api refresh_token",
        "instance_url": origin, "id": format!("{origin}/id/00DDn000000Acme/005Dn000000Integ"), "token_type": "Bearer",
        "issued_at": issued_at,
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = refresh.into();
    }
    json_answer(StatusCode::OK, body)
}

/// `POST /services/oauth2/token`, form-encoded: authorization code (+ PKCE), refresh token (a
/// new one each time while rotation is on, the old one ending), or JWT bearer.
pub(crate) async fn token(State(org): State<SalesforceOrg>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let form_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "unsupported content type");
    }
    let form: Params = form_urlencoded::parse(&body).into_owned().collect();
    let origin = org.origin();
    let mut state = org.lock();
    let oauth = &mut state.oauth;
    let client_ok = param(&form, "client_id") == CONSUMER_KEY && param(&form, "client_secret") == CONSUMER_SECRET;
    match param(&form, "grant_type") {
        "authorization_code" => {
            if !client_ok {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "invalid client credentials");
            }
            let grant = oauth.codes.remove(param(&form, "code"));
            let verifier = param(&form, "code_verifier");
            let valid = grant.is_some_and(|(redirect_uri, challenge, until)| {
                Instant::now() < until
                    && redirect_uri == param(&form, "redirect_uri")
                    && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
            });
            if !valid {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "authentication failure");
            }
            let refresh = oauth.issue_refresh();
            token_answer(oauth, &origin, Some(refresh))
        }
        "refresh_token" => {
            if !client_ok {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "invalid client credentials");
            }
            let presented = param(&form, "refresh_token");
            let live = oauth.refresh_tokens.get(presented).is_some_and(|until| Instant::now() < *until);
            if !live {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "expired access/refresh token");
            }
            let rotated = oauth.rotation.then(|| {
                oauth.refresh_tokens.remove(presented);
                oauth.issue_refresh()
            });
            token_answer(oauth, &origin, rotated)
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            match check_assertion(oauth, param(&form, "assertion"), &origin) {
                Ok(()) => token_answer(oauth, &origin, None),
                Err((error, description)) => oauth_error(StatusCode::BAD_REQUEST, error, description),
            }
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "grant type not supported"),
    }
}

/// A JWT bearer assertion: RS256 by the connected app's certificate, `iss` its consumer key,
/// `sub` an org user, `aud` the org's My Domain, `exp` in the next three minutes.
fn check_assertion(oauth: &OAuth, assertion: &str, origin: &str) -> Result<(), (&'static str, &'static str)> {
    let invalid = ("invalid_grant", "invalid assertion");
    let mut parts = assertion.split('.');
    let (Some(head), Some(claims), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).ok();
    let header: Value = decode(head).and_then(|b| serde_json::from_slice(&b).ok()).ok_or(invalid)?;
    let claims: Value = decode(claims).and_then(|b| serde_json::from_slice(&b).ok()).ok_or(invalid)?;
    let signature = decode(signature).ok_or(invalid)?;
    if header["alg"] != "RS256" {
        return Err(invalid);
    }
    let certificate = oauth.certificate.as_ref().ok_or(("invalid_client", "the connected app has no certificate"))?;
    let der = rustls::pki_types::CertificateDer::from(certificate.as_slice());
    let cert = webpki::EndEntityCert::try_from(&der)
        .map_err(|_| ("invalid_client", "the connected app's certificate does not parse"))?;
    let message = assertion.rfind('.').map_or(&[][..], |end| &assertion.as_bytes()[..end]);
    cert.verify_signature(webpki::ring::RSA_PKCS1_2048_8192_SHA256, message, &signature).map_err(|_| invalid)?;
    if claims["iss"] != CONSUMER_KEY {
        return Err(("invalid_client_id", "client identifier invalid"));
    }
    if claims["aud"] != origin {
        return Err(("invalid_grant", "audience is invalid"));
    }
    if claims["sub"] != ORG_USER {
        return Err(("invalid_grant", "user hasn't approved this consumer"));
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let exp = claims["exp"].as_u64().unwrap_or(0);
    if exp <= now || exp > now + 300 {
        return Err(("invalid_grant", "expired authorization code"));
    }
    Ok(())
}

/// Whether `version` (`v68.0`) is one the org answers.
pub(crate) fn offered(version: &str) -> bool {
    VERSIONS.iter().any(|v| format!("v{v}") == version)
}

/// The REST API's answer for a resource it does not have.
pub(crate) fn not_found() -> Response {
    json_answer(
        StatusCode::NOT_FOUND,
        json!([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]),
    )
}

pub(crate) fn unauthorised() -> Response {
    json_answer(
        StatusCode::UNAUTHORIZED,
        json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
    )
}

/// `GET /services/data/`: the API versions.
pub(crate) async fn versions() -> Response {
    let versions: Vec<Value> = VERSIONS
        .iter()
        .map(|v| json!({"label": "Winter '27", "url": format!("/services/data/v{v}"), "version": v}))
        .collect();
    json_answer(StatusCode::OK, Value::from(versions))
}

/// `GET /services/data/vXX.X/limits`: the daily API requests, counting this one.
pub(crate) async fn limits(
    State(org): State<SalesforceOrg>,
    Path(version): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut state = org.lock();
    let oauth = &mut state.oauth;
    if !offered(&version) {
        return not_found();
    }
    if !oauth.authorises(&headers) {
        return unauthorised();
    }
    let remaining = DAILY_API_REQUESTS.saturating_sub(oauth.api_requests);
    json_answer(
        StatusCode::OK,
        json!({"DailyApiRequests": {"Max": DAILY_API_REQUESTS, "Remaining": remaining}, "DataStorageMB": {"Max": 5, "Remaining": 5}}),
    )
}
