//! OAuth 2.0 authorization code with PKCE (RFC 7636, S256) against the instance's
//! `/oauth_auth.do` and `/oauth_token.do`, as a public client: no secret in the browser, the
//! code bound to a verifier only this page knows, and `state` binding the answer to the
//! request. The shell (`host::servicenow_oauth`) supplies the random bytes and the SHA-256
//! digest (WebCrypto) and carries the popup's message here to be read.

use serde::Deserialize;

use super::{Body, Method, Request};
use crate::activity::form_encoding;
use crate::activity::token::{AccessToken, AuthoriseError};
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// The redirect page, in the widget's build (`oauth/servicenow.html`).
pub const REDIRECT_PATH: &str = "/oauth/servicenow.html";
/// The `type` of the message the redirect page posts to the widget.
pub const MESSAGE_TYPE: &str = "framephone-oauth";
/// Random bytes in a verifier: 32 give 43 characters, RFC 7636's shortest and plenty (256 bits).
pub const VERIFIER_BYTES: usize = 32;
/// Random bytes in a `state`.
pub const STATE_BYTES: usize = 16;
/// A token counts as expired this long before the instance says, so that a post never sets
/// out with a token that dies on the way.
pub const EXPIRY_MARGIN_MS: u64 = 60_000;
/// Longest token accepted (ServiceNow's are under 100 characters).
const MAX_TOKEN_CHARS: usize = 4_096;
/// Longest instance text shown to the agent.
const MAX_REASON_CHARS: usize = 200;

/// base64url without padding (RFC 4648 §5), as PKCE writes verifiers and challenges.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let bits = chunk.iter().enumerate().fold(0u32, |bits, (i, &b)| bits | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            text.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 0x3f) as usize]));
        }
    }
    text
}

/// The code verifier for `random` bytes from the browser's cryptographic generator.
pub fn verifier(random: &[u8; VERIFIER_BYTES]) -> String {
    base64url(random)
}

/// The S256 code challenge for the SHA-256 `digest` of the verifier.
pub fn challenge(digest: &[u8; 32]) -> String {
    base64url(digest)
}

/// The redirect URI registered for the client: the redirect page at the widget's origin.
pub fn redirect_uri(widget: &Origin) -> String {
    format!("{widget}{REDIRECT_PATH}")
}

/// Where the popup goes: the instance's consent page for this request.
pub fn authorize_url(instance: &Origin, client_id: &str, redirect_uri: &str, state: &str, challenge: &str) -> String {
    let query = form_encoding::pairs(&[
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]);
    format!("{instance}/oauth_auth.do?{query}")
}

/// The token exchange: the code and the verifier, form-encoded (the instance takes no JSON here).
pub fn token_request(instance: &Origin, code: &str, redirect_uri: &str, client_id: &str, verifier: &str) -> Request {
    let body = form_encoding::pairs(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ]);
    Request {
        method: Method::Post,
        url: format!("{instance}/oauth_token.do"),
        body: Some(Body::Form(body)),
        authorised: false,
    }
}

/// What the redirect page posted: the query parameters the instance sent it back with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redirect {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` the instance echoed.
    pub state: Option<String>,
    /// The instance's refusal (`access_denied` when the agent chose Deny).
    pub error: Option<String>,
}

/// The code in the popup's answer, if the answer belongs to the request sent with `state`.
pub fn read_redirect(redirect: &Redirect, state: &str) -> Result<String, AuthoriseError> {
    if redirect.state.as_deref() != Some(state) {
        return Err(AuthoriseError::Mismatch);
    }
    if let Some(error) = &redirect.error {
        return Err(AuthoriseError::Denied(match error.as_str() {
            "access_denied" => t("crm.oauth.access-denied"),
            other => t_args("crm.oauth.answered", &[("answer", &clip(other))]),
        }));
    }
    match redirect.code.as_deref() {
        Some(code) if !code.is_empty() => Ok(code.to_owned()),
        _ => Err(AuthoriseError::Denied(t("crm.oauth.no-code"))),
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    expires_in: serde_json::Value,
}

#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The token in the token endpoint's answer (`status`, `body`), received at `now`.
pub fn read_token(instance: &Origin, status: u16, body: &str, now: u64) -> Result<AccessToken, AuthoriseError> {
    if !(200..300).contains(&status) {
        let reason = match serde_json::from_str::<TokenRefusal>(body) {
            Ok(refusal) => clip(refusal.error_description.as_deref().unwrap_or(&refusal.error)),
            Err(_) => t("crm.oauth.no-reason"),
        };
        let (url, status) = (format!("{instance}/oauth_token.do"), status.to_string());
        let page = REDIRECT_PATH.trim_start_matches('/');
        let args = [("url", url.as_str()), ("status", &status), ("reason", &reason), ("page", page)];
        return Err(AuthoriseError::Token(t_args("crm.oauth.code-refused", &args)));
    }
    let url = format!("{instance}/oauth_token.do");
    let unreadable = || AuthoriseError::Token(t_args("crm.oauth.no-token", &[("url", &url)]));
    let answer: TokenAnswer = serde_json::from_str(body).map_err(|_| unreadable())?;
    let bearer = answer.token_type.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("bearer"));
    let printable = answer.access_token.bytes().all(|b| b.is_ascii_graphic());
    if !bearer || !printable || answer.access_token.is_empty() || answer.access_token.len() > MAX_TOKEN_CHARS {
        return Err(unreadable());
    }
    let seconds = match &answer.expires_in {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(unreadable)?;
    let expires_at = now.saturating_add(seconds.saturating_mul(1_000)).saturating_sub(EXPIRY_MARGIN_MS);
    Ok(AccessToken { value: answer.access_token, expires_at })
}

/// Instance text cut to a length the agent can read.
fn clip(text: &str) -> String {
    text.chars().take(MAX_REASON_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    use super::*;

    fn instance() -> Origin {
        Origin::parse("https://acme.service-now.com").expect("origin")
    }

    /// RFC 7636 appendix B: the verifier's 32 octets, the verifier and its S256 challenge.
    const RFC_OCTETS: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191,
        240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];

    #[test]
    fn the_rfc_7636_example_gives_its_verifier_and_challenge() {
        let verifier = verifier(&RFC_OCTETS);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let digest: [u8; 32] = Sha256::digest(verifier.as_bytes()).into();
        assert_eq!(challenge(&digest), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn base64url_agrees_with_a_reference_encoder_at_every_length() {
        let bytes: Vec<u8> = (0..=255u8).rev().collect();
        for len in 0..40 {
            let reference = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..len]);
            assert_eq!(base64url(&bytes[..len]), reference, "{len} bytes");
        }
        assert_eq!(base64url(&[0u8; STATE_BYTES]).len(), 22);
        let verifier = verifier(&[0xff; VERIFIER_BYTES]);
        assert!((43..=128).contains(&verifier.len()), "RFC 7636 §4.1 length: {}", verifier.len());
    }

    #[test]
    fn the_authorize_url_carries_every_parameter_encoded() {
        let widget = Origin::parse("http://127.0.0.1:8780").expect("origin");
        let url = authorize_url(&instance(), "client&x=1", &redirect_uri(&widget), "st/ate", "chal");
        assert_eq!(
            url,
            "https://acme.service-now.com/oauth_auth.do?response_type=code&client_id=client%26x%3D1\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A8780%2Foauth%2Fservicenow.html&state=st%2Fate\
             &code_challenge=chal&code_challenge_method=S256"
        );
    }

    #[test]
    fn the_token_exchange_is_a_form_post_to_the_instance() {
        let request = token_request(&instance(), "co de", "https://w.example/oauth/servicenow.html", "cid", "ver");
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "https://acme.service-now.com/oauth_token.do");
        assert!(!request.authorised);
        let body = request.body.expect("a body");
        assert_eq!(body.content_type(), "application/x-www-form-urlencoded");
        assert_eq!(
            body.text(),
            "grant_type=authorization_code&code=co%20de&redirect_uri=https%3A%2F%2Fw.example%2Foauth%2Fservicenow.html\
             &client_id=cid&code_verifier=ver"
        );
    }

    #[test]
    fn only_an_answer_with_our_state_gives_a_code() {
        let answer = |code: Option<&str>, state: Option<&str>, error: Option<&str>| Redirect {
            code: code.map(Into::into),
            state: state.map(Into::into),
            error: error.map(Into::into),
        };
        assert_eq!(read_redirect(&answer(Some("c1"), Some("s1"), None), "s1"), Ok("c1".into()));
        assert_eq!(read_redirect(&answer(Some("c1"), Some("s2"), None), "s1"), Err(AuthoriseError::Mismatch));
        assert_eq!(read_redirect(&answer(Some("c1"), None, None), "s1"), Err(AuthoriseError::Mismatch));
        let denied = read_redirect(&answer(None, Some("s1"), Some("access_denied")), "s1").expect_err("denied");
        assert!(denied.to_string().contains("denied on the instance's consent page"), "{denied}");
        assert!(matches!(read_redirect(&answer(Some(""), Some("s1"), None), "s1"), Err(AuthoriseError::Denied(_))));
    }

    #[test]
    fn a_token_answer_gives_a_token_that_expires_early() {
        let body = r#"{"access_token":"tok-1","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;
        let token = read_token(&instance(), 200, body, 1_000).expect("a token");
        assert_eq!(token.value, "tok-1");
        assert_eq!(token.expires_at, 1_000 + 1_799_000 - EXPIRY_MARGIN_MS);
        let text_expiry = r#"{"access_token":"tok-2","expires_in":"60"}"#;
        assert_eq!(read_token(&instance(), 200, text_expiry, 0).expect("a token").expires_at, 0);
    }

    #[test]
    fn a_refused_or_odd_token_answer_says_what_to_check() {
        let refused = r#"{"error":"access_denied","error_description":"access_denied"}"#;
        let error = read_token(&instance(), 401, refused, 0).expect_err("refused").to_string();
        assert!(error.contains("HTTP 401: access_denied") && error.contains("redirect URL"), "{error}");
        for body in [
            r#"{"access_token":"a b","expires_in":5}"#,
            r#"{"access_token":"","expires_in":5}"#,
            r#"{"access_token":"t","token_type":"mac","expires_in":5}"#,
            r#"{"access_token":"t"}"#,
            "<html>",
        ] {
            assert!(read_token(&instance(), 200, body, 0).is_err(), "{body}");
        }
    }
}
