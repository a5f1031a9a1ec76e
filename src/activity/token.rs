//! Where the access token for a CRM's REST API comes from: the [`TokenSource`] seam. The
//! widget's own source is OAuth 2.0 authorization code with PKCE in a popup (`oauth`, shell in
//! `host::servicenow_oauth`); an integration service that holds the client secret and hands
//! out short-lived tokens is the other source, behind the same trait.

use std::future::Future;
use std::pin::Pin;

use crate::i18n::{t, t_args};

/// An access token and when it stops working.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The bearer value.
    pub value: String,
    /// When the CRM stops accepting it (ms since 1970), already less a safety margin.
    pub expires_at: u64,
}

impl AccessToken {
    /// Whether the token may still be used at `now`.
    pub fn valid_at(&self, now: u64) -> bool {
        now < self.expires_at
    }
}

impl std::fmt::Debug for AccessToken {
    // The token is a credential: it never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken").field("value", &"…").field("expires_at", &self.expires_at).finish()
    }
}

/// Why there is no token to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// None yet, or it expired or was refused: the agent must authorise (again).
    Unauthorised,
    /// The configuration names no way to get one, or what it names cannot give one for this
    /// CRM (an administrator must act).
    NotConfigured(String),
    /// The source did not answer, or answered that it cannot now (it may later).
    Unavailable(String),
}

impl std::fmt::Display for TokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenError::Unauthorised => f.write_str(&t("crm.token.unauthorised")),
            TokenError::NotConfigured(reason) | TokenError::Unavailable(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for TokenError {}

/// Why authorising failed, in words the agent can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthoriseError {
    /// The browser did not open the popup.
    Blocked {
        /// The widget's origin, which pop-ups must be allowed for.
        widget: String,
    },
    /// The agent closed the popup before it finished.
    Closed,
    /// The agent chose Deny, or the instance refused the request.
    Denied(String),
    /// The answer did not belong to this request (another window, a stale or forged `state`).
    Mismatch,
    /// The token endpoint refused the code or could not be reached.
    Token(String),
    /// The configuration names no way to authorise.
    NotConfigured(String),
    /// The browser lacks what authorising needs (WebCrypto, a window).
    Browser(String),
}

impl std::fmt::Display for AuthoriseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            AuthoriseError::Blocked { widget } => t_args("crm.authorise.blocked", &[("widget", widget)]),
            AuthoriseError::Closed => t("crm.authorise.closed"),
            AuthoriseError::Denied(reason) => t_args("crm.authorise.denied", &[("reason", reason)]),
            AuthoriseError::Mismatch => t("crm.authorise.mismatch"),
            AuthoriseError::Token(reason) | AuthoriseError::NotConfigured(reason) => reason.clone(),
            AuthoriseError::Browser(reason) => t_args("crm.authorise.browser", &[("reason", reason)]),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for AuthoriseError {}

/// A boxed future of a source's answer (the browser is single-threaded).
pub type TokenFuture<'a, T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + 'a>>;

/// Where the REST API's bearer token comes from.
pub trait TokenSource {
    /// The token to use now; [`TokenError::Unauthorised`] when there is none or it expired,
    /// which holds the outbox until [`TokenSource::authorise`] succeeds.
    fn token(&self) -> TokenFuture<'_, AccessToken, TokenError>;

    /// The CRM answered 401 to `token`: it is no longer used.
    fn refused(&self, token: &AccessToken);

    /// Gets a new token with the agent's consent. Whatever needs the agent's click (a popup)
    /// happens before this returns, so call it from the click handler itself, with no await
    /// in between.
    fn authorise(&self) -> TokenFuture<'_, (), AuthoriseError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_until_its_expiry_and_never_printed() {
        let token = AccessToken { value: "secret-value".into(), expires_at: 1_000 };
        assert!(token.valid_at(999));
        assert!(!token.valid_at(1_000));
        assert!(!format!("{token:?}").contains("secret"));
    }
}
