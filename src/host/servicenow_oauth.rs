//! The PKCE popup [`TokenSource`]: the agent's click opens a window, which goes to the
//! instance's consent page (`/oauth_auth.do`); the instance sends it back to the widget's
//! redirect page (`oauth/servicenow.html`), which posts the code to this window and closes;
//! the code and the verifier buy a token at `/oauth_token.do`. The token lives in this object
//! only (never in storage): a reload or its expiry means authorising again.
//!
//! The popup opens on `about:blank` within the click itself, before anything is awaited, as
//! browsers allow popups only then; it goes to the consent page once WebCrypto has hashed the
//! verifier.

use std::cell::RefCell;

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;
use web_sys::Window;

use super::js::field;
use super::popup_message;
use super::servicenow_fetch::{self, Failure};
use crate::activity::servicenow::answer;
use crate::activity::servicenow::oauth::{self, Redirect, STATE_BYTES, VERIFIER_BYTES};
use crate::activity::token::{AccessToken, AuthoriseError, TokenError, TokenFuture, TokenSource};
use crate::i18n::t_args;
use crate::origin::Origin;

/// The popup's window name: a second Authorise reuses the open popup.
const POPUP_NAME: &str = "framephone-servicenow-authorise";
/// The popup's size: the consent page's.
const POPUP_FEATURES: &str = "popup,width=520,height=640";
/// How long the consent page may stay open before the widget stops waiting.
const CONSENT_TIMEOUT_MS: i32 = 10 * 60 * 1_000;

/// OAuth 2.0 authorization code with PKCE, as a public client of the instance.
pub(super) struct PkcePopup {
    instance: Origin,
    client_id: Option<String>,
    token: RefCell<Option<AccessToken>>,
}

impl PkcePopup {
    /// The source for `instance`'s OAuth application `client_id` (none when not configured).
    pub(super) fn new(instance: Origin, client_id: Option<String>) -> Self {
        PkcePopup { instance, client_id, token: RefCell::new(None) }
    }

    fn not_configured() -> String {
        let page = oauth::REDIRECT_PATH.trim_start_matches('/');
        t_args("crm.oauth.not-configured", &[("setting", "crm.servicenow.oauthClientId"), ("page", page)])
    }
}

/// What the click itself did: the popup, and the secrets of this request.
struct Started {
    popup: Window,
    widget: Origin,
    client_id: String,
    verifier: String,
    state: String,
}

impl PkcePopup {
    /// Everything that must happen within the agent's click: no await here.
    fn start(&self) -> Result<Started, AuthoriseError> {
        let client_id = self.client_id.clone().ok_or_else(|| AuthoriseError::NotConfigured(Self::not_configured()))?;
        let widget = popup_message::widget_origin()?;
        let verifier = oauth::verifier(&popup_message::random_bytes::<VERIFIER_BYTES>()?);
        let state = oauth::base64url(&popup_message::random_bytes::<STATE_BYTES>()?);
        let popup = popup_message::open("about:blank", POPUP_NAME, POPUP_FEATURES, &widget)?;
        Ok(Started { popup, widget, client_id, verifier, state })
    }

    /// The rest, once the popup is open: consent, the code, the token.
    async fn finish(&self, started: &Started) -> Result<AccessToken, AuthoriseError> {
        let challenge = s256_challenge(&started.verifier).await?;
        let redirect_uri = oauth::redirect_uri(&started.widget);
        let url = oauth::authorize_url(&self.instance, &started.client_id, &redirect_uri, &started.state, &challenge);
        started.popup.location().set_href(&url).map_err(|_| AuthoriseError::Closed)?;
        let redirect = redirect_from(&started.popup, &started.widget).await?;
        let _ = started.popup.close();
        let code = oauth::read_redirect(&redirect, &started.state)?;
        let request = oauth::token_request(&self.instance, &code, &redirect_uri, &started.client_id, &started.verifier);
        let reply = servicenow_fetch::send(&request, None).await.map_err(|failure| {
            AuthoriseError::Token(match failure {
                Failure::NoAnswer => answer::no_answer(&self.instance, &started.widget),
                Failure::TimedOut => answer::timed_out(&self.instance),
            })
        })?;
        let answer = reply.answer();
        oauth::read_token(&self.instance, answer.status, answer.body, js_sys::Date::now() as u64)
    }
}

impl TokenSource for PkcePopup {
    fn token(&self) -> TokenFuture<'_, AccessToken, TokenError> {
        let now = js_sys::Date::now() as u64;
        let token = match (&self.client_id, self.token.borrow().as_ref()) {
            (None, _) => Err(TokenError::NotConfigured(Self::not_configured())),
            (Some(_), Some(token)) if token.valid_at(now) => Ok(token.clone()),
            (Some(_), _) => Err(TokenError::Unauthorised),
        };
        Box::pin(async move { token })
    }

    fn refused(&self, token: &AccessToken) {
        let mut held = self.token.borrow_mut();
        if held.as_ref() == Some(token) {
            *held = None;
        }
    }

    fn authorise(&self) -> TokenFuture<'_, (), AuthoriseError> {
        let started = self.start();
        Box::pin(async move {
            let started = started?;
            let result = self.finish(&started).await;
            let _ = started.popup.close();
            *self.token.borrow_mut() = Some(result?);
            Ok(())
        })
    }
}

/// The S256 code challenge of `verifier`, hashed by WebCrypto.
pub async fn s256_challenge(verifier: &str) -> Result<String, AuthoriseError> {
    let unavailable =
        || AuthoriseError::Browser(t_args("crm.browser.unavailable", &[("api", "WebCrypto (crypto.subtle)")]));
    let subtle = web_sys::window().and_then(|w| w.crypto().ok()).map(|c| c.subtle()).ok_or_else(unavailable)?;
    let digest = subtle.digest_with_str_and_u8_array("SHA-256", verifier.as_bytes()).map_err(|_| unavailable())?;
    let digest = JsFuture::from(digest).await.map_err(|_| unavailable())?;
    let digest: [u8; 32] = Uint8Array::new(&digest).to_vec().try_into().map_err(|_| unavailable())?;
    Ok(oauth::challenge(&digest))
}

/// Waits for the redirect page's message: from the widget's own origin, from `popup` itself.
async fn redirect_from(popup: &Window, widget: &Origin) -> Result<Redirect, AuthoriseError> {
    let data = popup_message::from_popup(popup, &widget.to_string(), &[oauth::MESSAGE_TYPE], CONSENT_TIMEOUT_MS)
        .await
        .ok_or(AuthoriseError::Closed)?;
    let text = |key: &str| field(&data, key).as_string();
    Ok(Redirect { code: text("code"), state: text("state"), error: text("error") })
}
