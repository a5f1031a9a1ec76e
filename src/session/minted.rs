//! Signing in at the integration service instead of typing a SIP password: the agent's click
//! opens the service's sign-in window (its password or single sign-on); with the bearer token
//! it sends back, the phone asks for short-lived SIP and TURN credentials and registers with
//! them. They live in memory only and are renewed half-way through their life, and at once when
//! the SIP server refuses them (a computer that slept past the renewal, a rotated secret); a
//! service that can no longer mint them stops the phone with its reason.

use leptos::task::spawn_local;
use sip::auth::Credentials;

use super::PhoneSession;
use crate::activity::call_credentials::{CallCredentials, CallCredentialsError, SipCredentials};
use crate::desk::AppEvent;
use crate::host::ServiceSession;
use crate::i18n::{t, t_args};
use crate::model::{PhoneSnapshot, Session};
use crate::phone::Keeping;

/// How often the renewal looks whether the SIP server refused the credentials.
const LOOK_EVERY_MS: u64 = 1_000;
/// How long to wait before asking a busy or unreachable service again.
const RETRY_MS: u64 = 15_000;
/// How the phone keeps minted credentials: never.
const MINTED: Keeping = Keeping { remember: false, resumed: false, minted: true };

fn sip_credentials(sip: SipCredentials) -> Credentials {
    Credentials { username: sip.username, password: sip.password }
}

impl PhoneSession {
    /// The agent's Sign in when the service mints the credentials: the window opens now,
    /// within the click.
    pub(super) fn sign_in_at_service(&self) {
        let Some(service) = self.0.service.clone() else {
            let reason = t_args("session.service.not-configured", &[("setting", "service.url")]);
            return (self.0.show)(PhoneSnapshot::session_only(Session::Failed(reason), None));
        };
        let signed_in = service.sign_in();
        // The service's window takes seconds: the SIP server's socket opens meanwhile.
        crate::phone::connect_ahead(&self.0.config);
        let generation = self.next_generation();
        (self.0.show)(PhoneSnapshot::session_only(Session::SigningIn, None));
        let session = self.clone();
        spawn_local(async move {
            let minted = match signed_in.await {
                Ok(()) => service.call_credentials().await.map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            if session.0.generation.get() != generation {
                return; // Signed out, or signed in again, meanwhile.
            }
            match minted {
                Ok(CallCredentials { sip: Some(sip), turn, renew_at }) => {
                    // The same session serves the CRM (inside ServiceNow): no Authorise after this.
                    (session.0.tell)(AppEvent::SignedInAtService);
                    let user = sip.user.clone();
                    let generation = session.start_phone(user, sip_credentials(sip).into(), MINTED, turn);
                    spawn_local(session.keep_renewed(service, generation, renew_at));
                }
                Ok(_) => session.sign_in_failed(t("session.service.no-sip-credentials")),
                Err(reason) => session.sign_in_failed(reason),
            }
        });
    }

    fn sign_in_failed(&self, reason: String) {
        (self.0.show)(PhoneSnapshot::session_only(Session::Failed(reason), None));
    }

    /// Renews the credentials of sign-in `generation` until it ends.
    async fn keep_renewed(self, service: ServiceSession, generation: u32, mut renew_at: u64) {
        self.0.renew_now.set(false);
        // The SIP server refused the current credentials and no new ones came yet.
        let mut refused = false;
        loop {
            while !self.0.renew_now.get() && now() < renew_at {
                crate::browser::sleep(LOOK_EVERY_MS.min(renew_at.saturating_sub(now())).max(1) as i32).await;
                if self.0.generation.get() != generation {
                    return;
                }
            }
            refused |= self.0.renew_now.replace(false);
            let minted = service.call_credentials().await;
            if self.0.generation.get() != generation {
                return;
            }
            let Some(phone) = self.0.phone.borrow().clone() else { return };
            match minted {
                Ok(credentials) => {
                    refused = false;
                    renew_at = credentials.renew_at;
                    phone.replace_credentials(credentials.sip.map(|sip| sip_credentials(sip).into()), credentials.turn);
                }
                // The current ones serve meanwhile; after a refusal the phone stays offline.
                Err(CallCredentialsError::Unavailable(_)) => renew_at = now() + RETRY_MS,
                Err(error) if refused => return phone.give_up(error.to_string()),
                // The current credentials serve until the SIP server refuses them.
                Err(_) => renew_at = u64::MAX,
            }
        }
    }
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}
