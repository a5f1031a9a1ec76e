//! The integration service as the phone's [`TokenSource`], log carrier and source of call
//! credentials: the agent's click opens the service's sign-in window, which posts the agent's
//! bearer token back to this window's exact origin; with it the phone asks the service for the
//! instance's access token, hands it each finished call's log, and gets short-lived SIP and
//! TURN credentials. The bearer token lives in this object only (never in storage) and is
//! renewed before it ends, for the rest of the agent's shift. One session serves the whole
//! window: signing in for the phone also authorises the CRM.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::task::spawn_local;

use web_sys::Window;

use super::js::field;
use super::popup_message;
use super::servicenow_fetch::{self, Failure, Reply};
use crate::activity::CallLog;
use crate::activity::call_credentials::{self, CallCredentials, CallCredentialsError};
use crate::activity::outbox::PostOutcome;
use crate::activity::service::{self, AgentSession, SignInMessage, SsoClaim};
use crate::activity::servicenow::Request;
use crate::activity::servicenow::oauth::{STATE_BYTES, base64url};
use crate::activity::token::{AccessToken, AuthoriseError, TokenError, TokenFuture, TokenSource};
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// The popup's window name: a second Authorise reuses the open popup.
const POPUP_NAME: &str = "framephone-service-sign-in";
/// The popup's size: the sign-in page's.
const POPUP_FEATURES: &str = "popup,width=480,height=600";
/// How long the sign-in window may stay open before the widget stops waiting.
const SIGN_IN_TIMEOUT_MS: i32 = 10 * 60 * 1_000;
/// How often the phone asks whether a single sign-on it cannot hear from is done.
const SSO_POLL_MS: i32 = 1_000;

/// The agent's session at the integration service (for the ServiceNow instance at `instance`,
/// when the phone runs in one); clones share it.
#[derive(Clone)]
pub struct ServiceSession(Rc<Shared>);

/// The session's state, shared with the task that keeps it renewed.
struct Shared {
    service: Origin,
    instance: Option<Origin>,
    session: RefCell<Option<AgentSession>>,
    token: RefCell<Option<AccessToken>>,
    /// The last token the instance refused, told to the service with the next request.
    refused: RefCell<Option<AccessToken>>,
    /// A renewal is under way: other requests use the current token meanwhile.
    renewing: Cell<bool>,
    /// Counts sign-ins: a renewal task of an earlier one stops.
    sign_ins: Cell<u32>,
}

/// What the click itself did: the popup, this request's state, and the nonce a single sign-on
/// is claimed with (only its hash leaves this window before the claim).
struct Started {
    popup: Window,
    state: String,
    nonce: String,
}

impl ServiceSession {
    /// The session for the phone in `instance` (a ServiceNow instance's origin, if any), through
    /// the service at `service`.
    pub fn new(service: Origin, instance: Option<Origin>) -> Self {
        ServiceSession(Rc::new(Shared {
            service,
            instance,
            session: RefCell::new(None),
            token: RefCell::new(None),
            refused: RefCell::new(None),
            renewing: Cell::new(false),
            sign_ins: Cell::new(0),
        }))
    }

    /// Hands a finished call's log to the service, whose outbox posts it to the instance.
    pub(super) async fn hand_over(&self, log: &CallLog) -> PostOutcome {
        self.0.hand_over(log).await
    }

    /// Short-lived SIP and TURN credentials for the signed-in agent, minted anew.
    pub async fn call_credentials(&self) -> Result<CallCredentials, CallCredentialsError> {
        let reply = self.0.send(&call_credentials::request(&self.0.service)).await.map_err(|error| match error {
            TokenError::Unauthorised => CallCredentialsError::Unauthorised,
            TokenError::NotConfigured(reason) => CallCredentialsError::Refused(reason),
            TokenError::Unavailable(reason) => CallCredentialsError::Unavailable(reason),
        })?;
        call_credentials::read(&self.0.service, &reply.answer(), now())
    }
}

/// Keeps the session of sign-in number `sign_in` renewed while the page lives, so that an
/// agent without calls for a while is still signed in at the next one.
async fn keep_renewed(shared: Rc<Shared>, sign_in: u32) {
    loop {
        let Some(session) = shared.session.borrow().clone() else { return };
        let wait = session.expires_at.saturating_sub(service::RENEW_WITHIN_MS).saturating_sub(now());
        // At least 10 s between looks: a service out of reach is not asked every second.
        crate::browser::sleep(wait.clamp(10_000, 60_000) as i32).await;
        if shared.sign_ins.get() != sign_in {
            return;
        }
        if shared.session.borrow().as_ref().is_some_and(|s| s.due_for_renewal(now())) && shared.bearer().await.is_err()
        {
            return;
        }
    }
}

impl Shared {
    async fn hand_over(&self, log: &CallLog) -> PostOutcome {
        match self.send(&service::hand_over_request(&self.service, log)).await {
            Ok(reply) => service::hand_over_outcome(&self.service, &reply.answer()),
            Err(TokenError::Unauthorised) => PostOutcome::Unauthorised,
            Err(TokenError::NotConfigured(reason)) => PostOutcome::Refused(reason),
            Err(TokenError::Unavailable(reason)) => PostOutcome::Unknown(reason),
        }
    }

    /// Sends `request` with the agent's bearer token; a 401 ends the session here too, unless
    /// the token was renewed while the request was under way (the renewal ends the old one):
    /// then it goes once more with the new one.
    async fn send(&self, request: &Request) -> Result<Reply, TokenError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let bearer = self.bearer().await?;
            let reply =
                servicenow_fetch::send(request, Some(&bearer)).await.map_err(|failure| self.no_answer(failure))?;
            if reply.answer().status != 401 {
                return Ok(reply);
            }
            let renewed_meanwhile = self.session.borrow().as_ref().is_some_and(|s| s.value != bearer);
            if !renewed_meanwhile || tries > 1 {
                self.end_session(&bearer);
                return Ok(reply);
            }
        }
    }

    /// The bearer token, renewed first when it is in its last minutes.
    async fn bearer(&self) -> Result<String, TokenError> {
        let now = now();
        let session = self.session.borrow().clone().filter(|s| s.valid_at(now)).ok_or(TokenError::Unauthorised)?;
        if session.due_for_renewal(now) && !self.renewing.replace(true) {
            let renewed = servicenow_fetch::send(&service::renew_request(&self.service), Some(&session.value)).await;
            self.renewing.set(false);
            // Out of reach, the service's current token serves until it ends.
            if let Ok(reply) = renewed {
                if let Some(renewed) = service::read_renewal(&reply.answer(), now) {
                    let value = renewed.value.clone();
                    self.replace_session(&session.value, renewed);
                    return Ok(value);
                }
                if reply.answer().status == 401 {
                    // The shift is over or the session was ended: the agent signs in again.
                    self.end_session(&session.value);
                    return Err(TokenError::Unauthorised);
                }
            }
        }
        Ok(session.value)
    }

    fn replace_session(&self, old: &str, new: AgentSession) {
        let mut held = self.session.borrow_mut();
        if held.as_ref().is_some_and(|s| s.value == old) {
            *held = Some(new);
        }
    }

    fn end_session(&self, bearer: &str) {
        let mut held = self.session.borrow_mut();
        if held.as_ref().is_some_and(|s| s.value == bearer) {
            *held = None;
            *self.token.borrow_mut() = None;
        }
    }

    fn no_answer(&self, failure: Failure) -> TokenError {
        let origin = self.service.to_string();
        TokenError::Unavailable(match (failure, servicenow_fetch::widget_origin()) {
            (Failure::NoAnswer, Some(widget)) => service::no_answer(&self.service, &widget),
            (Failure::NoAnswer, None) => t_args("crm.service.no-answer", &[("service", &origin)]),
            (Failure::TimedOut, _) => t_args("crm.service.timed-out", &[("service", &origin)]),
        })
    }

    /// Everything that must happen within the agent's click: no await here.
    fn start(&self) -> Result<Started, AuthoriseError> {
        let widget = popup_message::widget_origin()?;
        let state = base64url(&popup_message::random_bytes::<STATE_BYTES>()?);
        let nonce = base64url(&popup_message::random_bytes::<32>()?);
        let url = service::sign_in_url(&self.service, &widget, &state, &nonce);
        let popup = popup_message::open(&url, POPUP_NAME, POPUP_FEATURES, &widget)?;
        Ok(Started { popup, state, nonce })
    }
}

impl TokenSource for ServiceSession {
    fn token(&self) -> TokenFuture<'_, AccessToken, TokenError> {
        let shared = &self.0;
        Box::pin(async move {
            if let Some(token) = shared.token.borrow().clone().filter(|t| t.valid_at(now())) {
                return Ok(token);
            }
            let refused = shared.refused.borrow_mut().take();
            let instance =
                shared.instance.as_ref().ok_or_else(|| TokenError::NotConfigured(t("crm.service.no-instance")))?;
            let reply = shared.send(&service::crm_token_request(&shared.service, refused.as_ref())).await?;
            let token = service::read_crm_token(&shared.service, instance, &reply.answer(), now())?;
            *shared.token.borrow_mut() = Some(token.clone());
            Ok(token)
        })
    }

    fn refused(&self, token: &AccessToken) {
        let mut held = self.0.token.borrow_mut();
        if held.as_ref() == Some(token) {
            *held = None;
        }
        *self.0.refused.borrow_mut() = Some(token.clone());
    }

    fn authorise(&self) -> TokenFuture<'_, (), AuthoriseError> {
        self.sign_in()
    }
}

impl ServiceSession {
    /// Opens the service's sign-in window (now, within the agent's click) and waits for the
    /// bearer token it sends back, or, after a single sign-on, claims it with the nonce.
    pub fn sign_in(&self) -> TokenFuture<'static, (), AuthoriseError> {
        let started = self.0.start();
        let shared = self.0.clone();
        Box::pin(async move {
            let started = started?;
            let kinds = [service::MESSAGE_TYPE, service::SSO_MESSAGE_TYPE];
            let data =
                popup_message::from_popup(&started.popup, &shared.service.to_string(), &kinds, SIGN_IN_TIMEOUT_MS)
                    .await;
            let password_sign_in =
                data.filter(|d| field(d, "type").as_string().as_deref() == Some(service::MESSAGE_TYPE));
            let session = match password_sign_in {
                Some(data) => {
                    let message = SignInMessage {
                        state: field(&data, "state").as_string(),
                        access_token: field(&data, "accessToken").as_string(),
                        expires_in: field(&data, "expiresIn").as_f64().filter(|s| *s >= 0.0).map(|s| s as u64),
                    };
                    service::read_sign_in(&message, &started.state, now())
                }
                // The single sign-on's end, or the window closed or lost its link to this one
                // (an identity provider's Cross-Origin-Opener-Policy severs it): a single
                // sign-on may be done or under way, which the nonce claims.
                None => shared.claim_single_sign_on(&started.nonce).await,
            };
            let _ = started.popup.close();
            *shared.session.borrow_mut() = Some(session?);
            *shared.token.borrow_mut() = None;
            let sign_in = shared.sign_ins.get() + 1;
            shared.sign_ins.set(sign_in);
            spawn_local(keep_renewed(shared, sign_in));
            Ok(())
        })
    }
}

impl Shared {
    /// The token of the single sign-on started with `nonce`, asked for until it is done (the
    /// agent may still be at the identity provider), or `Closed` when none was started.
    async fn claim_single_sign_on(&self, nonce: &str) -> Result<AgentSession, AuthoriseError> {
        let give_up_at = now() + SIGN_IN_TIMEOUT_MS as u64;
        loop {
            let request = service::sso_claim_request(&self.service, nonce);
            let claim = servicenow_fetch::send(&request, None).await;
            match claim.map(|reply| service::read_sso_claim(&self.service, &reply.answer(), now())) {
                Ok(SsoClaim::Session(session)) => return Ok(session),
                Ok(SsoClaim::NotStarted) => return Err(AuthoriseError::Closed),
                Ok(SsoClaim::Failed(reason)) => return Err(AuthoriseError::Token(reason)),
                // Still at the identity provider, or the service out of reach for a moment.
                Ok(SsoClaim::Pending) | Err(_) => {}
            }
            if now() >= give_up_at {
                return Err(AuthoriseError::Closed);
            }
            crate::browser::sleep(SSO_POLL_MS).await;
        }
    }
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}
