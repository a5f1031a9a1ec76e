//! Digest authentication for a SIP client (RFC 3261 §22, RFC 7616, RFC 8760).
//!
//! [`Challenge::parse`] reads one `WWW-Authenticate` or `Proxy-Authenticate` value;
//! [`strongest`] picks the challenge to answer when a response carries several;
//! [`DigestClient`] answers it, counting `nc` per nonce, from the password or from HA1 values
//! kept from an earlier sign-in ([`AuthCredentials`]). The caller supplies the `cnonce`: this
//! crate has no source of randomness.

mod algorithm;
mod secret;

pub use algorithm::Algorithm;
pub use secret::{AuthCredentials, Ha1};

use thiserror::Error;

use crate::headers::{HeaderError, quoted_string};
use crate::message::{HeaderName, is_token_byte, trim_lws};

/// Why a challenge cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AuthError {
    /// The value does not follow the grammar.
    #[error("the challenge cannot be read: {0}")]
    Syntax(#[from] HeaderError),
    /// Not a Digest challenge.
    #[error("the {0} scheme is not supported")]
    Scheme(String),
    /// A required parameter is missing.
    #[error("the challenge has no {0}")]
    Missing(&'static str),
    /// An algorithm this client does not implement.
    #[error("the {0} algorithm is not supported")]
    Algorithm(String),
    /// Only qop values this client does not implement.
    #[error("no offered qop ({0}) is supported")]
    Qop(String),
    /// Only the password could answer: no kept HA1 is for this realm and algorithm.
    #[error("no kept secret answers realm \"{realm}\" with {algorithm}: sign in with the password again")]
    NoSecret {
        /// The challenge's realm.
        realm: String,
        /// The challenge's algorithm.
        algorithm: &'static str,
    },
    /// A kept HA1 is not a digest of its algorithm.
    #[error("a kept {algorithm} secret is not a {algorithm} digest: sign in with the password again")]
    BadHa1 {
        /// The algorithm it claims.
        algorithm: &'static str,
    },
}

/// The quality of protection used in an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qop {
    /// `auth`.
    Auth,
    /// `auth-int`: the body is hashed too.
    AuthInt,
}

/// One Digest challenge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The realm.
    pub realm: String,
    /// The server's nonce.
    pub nonce: String,
    /// Opaque data to return unchanged.
    pub opaque: Option<String>,
    /// The hash algorithm (MD5 when absent).
    pub algorithm: Algorithm,
    /// The qop to use: `auth` when offered, else `auth-int`; `None` for an RFC 2069 challenge.
    pub qop: Option<Qop>,
    /// `stale=true`: the nonce expired but the credentials were right.
    pub stale: bool,
    /// `userhash=true` (RFC 7616): send H(username:realm) instead of the user name.
    pub userhash: bool,
}

impl Challenge {
    /// Parses a `Digest realm=…, nonce=…, …` value.
    pub fn parse(value: &[u8]) -> Result<Challenge, AuthError> {
        let value = trim_lws(value);
        let scheme_end = value.iter().position(|b| !is_token_byte(*b)).unwrap_or(value.len());
        let scheme = String::from_utf8_lossy(&value[..scheme_end]).into_owned();
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::Scheme(scheme));
        }
        let params = parse_auth_params(&value[scheme_end..])?;
        let get = |name: &str| params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
        let algorithm_name = get("algorithm").unwrap_or("MD5");
        let algorithm =
            Algorithm::from_name(algorithm_name).ok_or_else(|| AuthError::Algorithm(algorithm_name.to_owned()))?;
        let qop = match get("qop") {
            None => None,
            Some(offered) => {
                let options: Vec<&str> = offered.split(',').map(str::trim).collect();
                if options.iter().any(|o| o.eq_ignore_ascii_case("auth")) {
                    Some(Qop::Auth)
                } else if options.iter().any(|o| o.eq_ignore_ascii_case("auth-int")) {
                    Some(Qop::AuthInt)
                } else {
                    return Err(AuthError::Qop(offered.to_owned()));
                }
            }
        };
        Ok(Challenge {
            realm: get("realm").ok_or(AuthError::Missing("realm"))?.to_owned(),
            nonce: get("nonce").ok_or(AuthError::Missing("nonce"))?.to_owned(),
            opaque: get("opaque").map(str::to_owned),
            algorithm,
            qop,
            stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            userhash: get("userhash").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }
}

/// `name=value` pairs separated by commas; values are tokens or quoted strings.
fn parse_auth_params(bytes: &[u8]) -> Result<Vec<(String, String)>, HeaderError> {
    let mut params = Vec::new();
    let mut rest = trim_lws(bytes);
    while !rest.is_empty() {
        let name_end = rest.iter().position(|b| !is_token_byte(*b)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(HeaderError::Syntax("an auth parameter has no name"));
        }
        let name = String::from_utf8_lossy(&rest[..name_end]).into_owned();
        rest = trim_lws(&rest[name_end..]);
        rest = trim_lws(rest.strip_prefix(b"=").ok_or(HeaderError::Syntax("an auth parameter has no value"))?);
        let value = if rest.first() == Some(&b'"') {
            let (value, used) = quoted_string(rest)?;
            rest = &rest[used..];
            value
        } else {
            let end = rest.iter().position(|b| *b == b',' || *b == b' ' || *b == b'\t').unwrap_or(rest.len());
            let value = rest[..end].to_vec();
            if value.is_empty() {
                return Err(HeaderError::Syntax("an auth parameter has no value"));
            }
            rest = &rest[end..];
            value
        };
        params.push((name, String::from_utf8_lossy(&value).into_owned()));
        rest = trim_lws(rest);
        if let Some(after) = rest.strip_prefix(b",") {
            rest = trim_lws(after);
        } else if !rest.is_empty() {
            return Err(HeaderError::Syntax("auth parameters must be separated by commas"));
        }
    }
    Ok(params)
}

/// The challenge to answer among several (RFC 8760 §2.4: the strongest the client supports);
/// unreadable or unsupported ones are skipped.
pub fn strongest<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Option<Challenge> {
    values.into_iter().filter_map(|v| Challenge::parse(v).ok()).max_by_key(|c| c.algorithm.strength())
}

/// The header that carries the answer to a challenge from `challenge_header`.
pub fn answer_header(challenge_header: &HeaderName) -> HeaderName {
    match challenge_header {
        HeaderName::ProxyAuthenticate => HeaderName::ProxyAuthorization,
        _ => HeaderName::Authorization,
    }
}

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The authentication user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    // Debug output ends up in logs and panic messages: never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

/// What one request needs to compute its answer.
#[derive(Clone, Copy, Debug)]
pub struct RequestDigest<'a> {
    /// The request's method.
    pub method: &'a str,
    /// The Request-URI as sent.
    pub uri: &'a str,
    /// The body (hashed for `auth-int`).
    pub body: &'a [u8],
}

/// Answers challenges with one user's credentials, counting `nc` for each nonce.
#[derive(Clone, Debug)]
pub struct DigestClient {
    credentials: AuthCredentials,
    nonce: String,
    nonce_count: u32,
}

impl DigestClient {
    /// A client for these credentials (a password, or kept HA1 values).
    pub fn new(credentials: impl Into<AuthCredentials>) -> Self {
        DigestClient { credentials: credentials.into(), nonce: String::new(), nonce_count: 0 }
    }

    /// The credentials it answers with.
    pub fn credentials(&self) -> &AuthCredentials {
        &self.credentials
    }

    /// The value of an Authorization (or Proxy-Authorization) header answering `challenge`;
    /// [`AuthError::NoSecret`] when no kept HA1 answers its realm and algorithm.
    pub fn authorize(
        &mut self,
        challenge: &Challenge,
        request: RequestDigest<'_>,
        cnonce: &str,
    ) -> Result<String, AuthError> {
        let ha1 = self.credentials.ha1(challenge)?;
        if challenge.nonce != self.nonce {
            self.nonce = challenge.nonce.clone();
            self.nonce_count = 0;
        }
        self.nonce_count = self.nonce_count.wrapping_add(1);
        let nc = format!("{:08x}", self.nonce_count);
        let response = response_from_ha1(&ha1.hex, challenge, request, cnonce, &nc);
        let h = |text: &str| challenge.algorithm.hex(text.as_bytes());
        let user = self.credentials.username();
        let username = if challenge.userhash { h(&format!("{user}:{}", challenge.realm)) } else { user.to_owned() };
        let mut value = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\", algorithm={}",
            escape(&username),
            escape(&challenge.realm),
            escape(&challenge.nonce),
            escape(request.uri),
            challenge.algorithm.name(),
        );
        if let Some(opaque) = &challenge.opaque {
            value.push_str(&format!(", opaque=\"{}\"", escape(opaque)));
        }
        if let Some(qop) = challenge.qop {
            let qop = if qop == Qop::Auth { "auth" } else { "auth-int" };
            value.push_str(&format!(", qop={qop}, nc={nc}, cnonce=\"{}\"", escape(cnonce)));
        }
        if challenge.userhash {
            value.push_str(", userhash=true");
        }
        Ok(value)
    }
}

/// The `response` value of RFC 7616 §3.4.1 (and RFC 2069 when there is no qop).
pub fn digest_response(
    credentials: &Credentials,
    challenge: &Challenge,
    request: RequestDigest<'_>,
    cnonce: &str,
    nc: &str,
) -> String {
    let ha1 = Ha1::compute(&credentials.username, &challenge.realm, &credentials.password, challenge.algorithm);
    response_from_ha1(&ha1.hex, challenge, request, cnonce, nc)
}

/// The `response` value from the (non-session) HA1, `H(username:realm:password)`.
pub fn response_from_ha1(
    ha1: &str,
    challenge: &Challenge,
    request: RequestDigest<'_>,
    cnonce: &str,
    nc: &str,
) -> String {
    let algorithm = challenge.algorithm;
    let h = |text: &str| algorithm.hex(text.as_bytes());
    let mut ha1 = ha1.to_owned();
    if algorithm.is_session() {
        ha1 = h(&format!("{ha1}:{}:{cnonce}", challenge.nonce));
    }
    let ha2 = match challenge.qop {
        Some(Qop::AuthInt) => h(&format!("{}:{}:{}", request.method, request.uri, algorithm.hex(request.body))),
        _ => h(&format!("{}:{}", request.method, request.uri)),
    };
    match challenge.qop {
        Some(qop) => {
            let qop = if qop == Qop::Auth { "auth" } else { "auth-int" };
            h(&format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", challenge.nonce))
        }
        None => h(&format!("{ha1}:{}:{ha2}", challenge.nonce)),
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests;
