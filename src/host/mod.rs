//! The only code that touches a host API: one [`Host`] trait, four back-ends.

pub mod click_to_dial;
pub mod detect;
pub(crate) mod js;
mod message_guard;
mod opencti_classic;
mod opencti_lightning;
mod openframe;
mod popup_message;
mod remote;
mod service_session;
mod servicenow_fetch;
mod servicenow_oauth;
mod standalone;
mod task_ids;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::activity::outbox::PostOutcome;
use crate::activity::{CallDirection, CallLog, RecordRef};
use crate::config::{CrmSettings, PanelSettings};
use crate::i18n::{t, t_args};
use crate::origin::Origin;
use crate::sync::crm_work::NO_CRM_WINDOW;
pub use click_to_dial::{ClickToDialError, DialRequest};
pub use detect::{DetectError, Framing, HostKind, Placement, check_standalone_framing, detect};
pub use remote::RemoteHost;
pub use service_session::ServiceSession;
pub use servicenow_oauth::s256_challenge;

/// What a host tells the phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostEvent {
    /// The agent clicked a phone number in the CRM.
    ClickToDial(DialRequest),
    /// A click-to-dial arrived but could not be used.
    ClickToDialRefused(String),
    /// The record the agent is looking at changed (none on a list or home page).
    RecordInView(Option<RecordRef>),
}

/// Receives host events; cloned into every host callback.
pub type EventSink = Rc<dyn Fn(HostEvent)>;

/// Why talking to the host failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostError {
    /// The host's script could not be loaded from its origin.
    ScriptLoad {
        /// The script's URL.
        url: String,
    },
    /// The script loaded but did not define the API it should.
    MissingApi {
        /// The script's URL.
        url: String,
        /// The global it should have defined.
        global: &'static str,
    },
    /// A host method was called before the host's API was loaded.
    NotLoaded {
        /// The global the API defines.
        global: &'static str,
    },
    /// A host method reported failure or threw.
    Call {
        /// The host method.
        method: &'static str,
        /// What the host said.
        message: String,
    },
    /// This host has no such method (the pop-out has no CRM).
    Unsupported {
        /// The method.
        method: &'static str,
        /// Why, in English words that [`why_words`] tells the agent in theirs.
        why: &'static str,
    },
    /// The CRM's REST API needs the agent to authorise the phone (again).
    Unauthorised,
    /// The host did not answer in time.
    Timeout {
        /// The host method.
        method: &'static str,
        /// How long we waited.
        millis: u32,
    },
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            HostError::ScriptLoad { url } => t_args("crm.host.script-load", &[("url", url)]),
            HostError::MissingApi { url, global } => {
                t_args("crm.host.missing-api", &[("url", url), ("global", global)])
            }
            HostError::NotLoaded { global } => t_args("crm.host.not-loaded", &[("global", global)]),
            HostError::Call { method, message } => {
                t_args("crm.host.call-failed", &[("method", method), ("message", message)])
            }
            HostError::Unsupported { method, why } => {
                t_args("crm.host.unsupported", &[("method", method), ("why", &why_words(why))])
            }
            HostError::Unauthorised => t("crm.host.unauthorised"),
            HostError::Timeout { method, millis } => {
                t_args("crm.host.timeout", &[("method", method), ("millis", &millis.to_string())])
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for HostError {}

/// Why a host lacks a method, when it has no CRM attached.
const NO_CRM: &str = "no CRM is attached";

/// An [`HostError::Unsupported`] reason in the agent's language. The reasons stay English
/// `&'static str`s in the error (they cross to the phone's other windows as they are), so the
/// known ones are matched here; any other is shown as it is.
pub fn why_words(why: &str) -> String {
    match why {
        NO_CRM => t("crm.host.no-crm"),
        NO_CRM_WINDOW => t("crm.host.no-crm-window"),
        remote::AUTHORISE_IN_CRM_WINDOW => t("crm.host.authorise-in-crm-window"),
        openframe::NO_REST => {
            t_args("crm.servicenow.no-rest", &[("client-id", "crm.servicenow.oauthClientId"), ("service", "service")])
        }
        opencti_classic::POP_CUTS_CALLS => t_args("crm.salesforce.pop-cuts-calls", &[("console", "Service Cloud")]),
        other => other.to_owned(),
    }
}

/// A boxed future, as the host methods return them (the browser is single-threaded).
pub type HostFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, HostError>> + 'a>>;

/// One CRM host, seen through its own JavaScript API.
pub trait Host {
    /// Which host this is.
    fn kind(&self) -> HostKind;

    /// Loads the host API and completes its handshake: title, size, click-to-dial and
    /// navigation listeners. Events arrive on `events` from then on.
    fn connect<'a>(&'a self, panel: &'a PanelSettings, events: EventSink) -> HostFuture<'a, ()>;

    /// Brings the panel into view (a ringing call, a click-to-dial).
    fn show(&self) -> HostFuture<'_, ()>;

    /// Shows a short text where the host shows the panel's state (title, utility item label).
    fn set_label<'a>(&'a self, label: &'a str) -> HostFuture<'a, ()>;

    /// The records whose phone number is `number`, best first (screen pop). Empty when none
    /// matches.
    fn find_records<'a>(&'a self, number: &'a str, direction: CallDirection) -> HostFuture<'a, Vec<RecordRef>> {
        let _ = (number, direction);
        Box::pin(async { Err(HostError::Unsupported { method: "find_records", why: NO_CRM }) })
    }

    /// Opens `record` in the CRM, where the agent works.
    fn open_record<'a>(&'a self, record: &'a RecordRef) -> HostFuture<'a, ()> {
        let _ = record;
        Box::pin(async { Err(HostError::Unsupported { method: "open_record", why: NO_CRM }) })
    }

    /// Opens the CRM's new-record form with `number` filled in (no record matched the caller).
    fn open_new_record<'a>(&'a self, number: &'a str) -> HostFuture<'a, ()> {
        let _ = number;
        Box::pin(async { Err(HostError::Unsupported { method: "open_new_record", why: NO_CRM }) })
    }

    /// Delivers one call's log to the CRM. With `update`, an earlier post of the same Call-ID
    /// may have created it: the log with that key is updated, or created when there is none.
    fn post_log<'a>(&'a self, log: &'a CallLog, update: bool) -> PostFuture<'a> {
        let _ = (log, update);
        Box::pin(async { PostOutcome::NoHost })
    }

    /// Whether this host can ever take call logs: one that cannot (ServiceNow without an OAuth
    /// client) gets none kept, rather than a pile of failures.
    fn takes_call_logs(&self) -> bool {
        true
    }

    /// Whether the CRM's REST API wants the agent's permission before the phone can look up
    /// callers or log calls (no token yet, or it expired).
    fn needs_authorisation(&self) -> HostFuture<'_, bool> {
        Box::pin(async { Ok(false) })
    }

    /// Asks the agent to let the widget use the CRM's REST API (a popup, so it must be called
    /// from the agent's click, before any await). Hosts that need no authorisation do nothing.
    fn authorise(&self) -> HostFuture<'_, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// A boxed future of a log's delivery: every failure is one of the outbox's outcomes.
pub type PostFuture<'a> = Pin<Box<dyn Future<Output = PostOutcome> + 'a>>;

/// The back-end for a placement, with the CRM settings it needs and the integration service, if
/// one is configured. The placement's origin has already passed the allow-list.
pub fn for_placement(placement: &Placement, crm: &CrmSettings, service: Option<&ServiceSession>) -> Rc<dyn Host> {
    let origin = placement.origin.clone();
    match (placement.kind, origin) {
        (HostKind::ServiceNow, Some(origin)) => {
            Rc::new(openframe::OpenFrameHost::new(origin, &crm.servicenow, service))
        }
        (HostKind::SalesforceLightning, Some(origin)) => Rc::new(opencti_lightning::LightningHost::new(origin)),
        (HostKind::SalesforceClassic, Some(origin)) => Rc::new(opencti_classic::ClassicHost::new(origin)),
        _ => Rc::new(standalone::StandaloneHost),
    }
}

/// Decides a Salesforce placement whose flavour the URL left open (see
/// [`Placement::flavour_unknown`]) by trying the Lightning library: Lightning when the page
/// answers it, Classic otherwise. Every other placement comes back unchanged, at once.
pub async fn settle(placement: Placement) -> Placement {
    let Some(origin) = placement.origin.as_ref().filter(|_| placement.flavour_unknown) else {
        return placement;
    };
    let kind = if opencti_lightning::answers(origin).await {
        HostKind::SalesforceLightning
    } else {
        HostKind::SalesforceClassic
    };
    Placement { kind, flavour_unknown: false, ..placement }
}

/// What a failed host call means for a log's delivery: a host that said no refused it, one
/// that did not answer may have it, and one that is not there cannot take it.
pub fn post_outcome(error: HostError) -> PostOutcome {
    match error {
        HostError::Call { .. } => PostOutcome::Refused(error.to_string()),
        HostError::Timeout { .. } => PostOutcome::Unknown(error.to_string()),
        HostError::Unauthorised => PostOutcome::Unauthorised,
        HostError::ScriptLoad { .. }
        | HostError::MissingApi { .. }
        | HostError::NotLoaded { .. }
        | HostError::Unsupported { .. } => PostOutcome::NoHost,
    }
}

/// Drops every `message` event not sent by `origin`, before any host script can see it.
pub fn guard_messages(origin: &Origin) {
    message_guard::install(origin);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_become_delivery_outcomes() {
        let refused = HostError::Call { method: "saveLog", message: "Record 00T was not found".into() };
        assert_eq!(post_outcome(refused), PostOutcome::Refused("saveLog failed: Record 00T was not found".into()));
        assert_eq!(
            post_outcome(HostError::Timeout { method: "saveLog", millis: 5000 }),
            PostOutcome::Unknown("saveLog got no answer from the host within 5000 ms".into())
        );
        assert_eq!(post_outcome(HostError::NotLoaded { global: "sforce.opencti" }), PostOutcome::NoHost);
        assert_eq!(post_outcome(HostError::ScriptLoad { url: "x".into() }), PostOutcome::NoHost);
        assert_eq!(post_outcome(HostError::Unsupported { method: "m", why: "w" }), PostOutcome::NoHost);
        assert_eq!(post_outcome(HostError::Unauthorised), PostOutcome::Unauthorised);
    }
}
