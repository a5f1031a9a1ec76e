//! The pop-out's CRM: the one a framed window of the phone is attached to. The pop-out asks that
//! window (over the phone's own channels, `crate::sync::crm_work`) to look callers up, open
//! records and deliver call logs, and waits for its answer. With no such window open, logs wait
//! in the pop-out's outbox until one offers itself.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use wasm_bindgen::JsValue;

use super::standalone::StandaloneHost;
use super::{EventSink, Host, HostError, HostFuture, HostKind, PostFuture};
use crate::activity::{CallDirection, CallLog, RecordRef};
use crate::config::PanelSettings;
use crate::i18n::t_args;
use crate::sync::crm_work::{self, CrmAnswer, CrmWork, NO_CRM_WINDOW};
use crate::sync::envelope::Body;
use crate::sync::message::PeerId;

/// Why the pop-out does not authorise the CRM itself (told in the agent's language by
/// [`super::why_words`]).
pub(super) const AUTHORISE_IN_CRM_WINDOW: &str = "choose Authorise in the CRM window, which keeps the CRM's permission";

/// The pop-out's host: its own tab for the label, a framed window for the CRM.
pub struct RemoteHost {
    local: StandaloneHost,
    /// Sends an envelope to the phone's other windows.
    send: Box<dyn Fn(Body)>,
    /// The framed instance that does the work: the last that offered.
    server: RefCell<Option<PeerId>>,
    next_id: Cell<u32>,
    /// Work sent and not answered yet: the promise to resolve when its answer comes.
    waiting: RefCell<HashMap<u32, js_sys::Function>>,
    answers: RefCell<HashMap<u32, CrmAnswer>>,
}

impl RemoteHost {
    /// A host whose CRM work goes out through `send`.
    pub fn new(send: impl Fn(Body) + 'static) -> RemoteHost {
        RemoteHost {
            local: StandaloneHost,
            send: Box::new(send),
            server: RefCell::new(None),
            next_id: Cell::new(0),
            waiting: RefCell::new(HashMap::new()),
            answers: RefCell::new(HashMap::new()),
        }
    }

    /// Asks the framed instances which one can do the work.
    pub fn look_for_crm(&self) {
        (self.send)(Body::CrmWanted);
    }

    /// A framed instance attached to its CRM offered to do the work: it does from now on.
    pub fn served_by(&self, peer: PeerId) {
        *self.server.borrow_mut() = Some(peer);
    }

    /// The framed instance doing the work, if any.
    pub fn server(&self) -> Option<PeerId> {
        self.server.borrow().clone()
    }

    /// A framed instance went away: if it did the work, what it has not answered is unknown,
    /// and another is looked for.
    pub fn gone(&self, peer: &PeerId) {
        if self.server.borrow().as_ref() != Some(peer) {
            return;
        }
        self.server.borrow_mut().take();
        let waiting: Vec<js_sys::Function> = self.waiting.borrow_mut().drain().map(|(_, resolve)| resolve).collect();
        for resolve in waiting {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        self.look_for_crm();
    }

    /// The answer to work `id`.
    pub fn answer(&self, id: u32, answer: CrmAnswer) {
        let Some(resolve) = self.waiting.borrow_mut().remove(&id) else { return };
        self.answers.borrow_mut().insert(id, answer);
        let _ = resolve.call0(&JsValue::UNDEFINED);
    }

    /// Sends `work` to the framed instance doing the work and waits for its answer: none when
    /// it did not come in time (or the window went away first).
    async fn ask(&self, work: CrmWork) -> Result<Option<CrmAnswer>, HostError> {
        let method = work.method();
        let Some(server) = self.server.borrow().clone() else {
            return Err(HostError::Unsupported { method, why: NO_CRM_WINDOW });
        };
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        let timeout = work.timeout_ms();
        let sent = super::js::callback(method, timeout, |resolve, _| {
            self.waiting.borrow_mut().insert(id, resolve.clone());
            (self.send)(Body::CrmWork { to: server.clone(), id, work });
            Ok(JsValue::UNDEFINED)
        })
        .await;
        self.waiting.borrow_mut().remove(&id);
        let answer = self.answers.borrow_mut().remove(&id);
        if answer.is_none() && matches!(sent, Err(HostError::Timeout { .. })) {
            // A window that does not answer is not relied on again until it offers itself anew.
            self.gone(&server);
        }
        Ok(answer)
    }

    /// Work that the framed instance starts and reports on itself.
    async fn start(&self, work: CrmWork) -> Result<(), HostError> {
        let method = work.method();
        match self.ask(work).await? {
            Some(CrmAnswer::Started) => Ok(()),
            answer => Err(unexpected(method, answer)),
        }
    }
}

/// What an answer that is not the work's own means to the owner.
fn unexpected(method: &'static str, answer: Option<CrmAnswer>) -> HostError {
    match answer {
        Some(CrmAnswer::Failed(failure)) => failure.into_error(method),
        Some(other) => {
            let message = t_args("crm.host.crm-window-answered", &[("answer", &format!("{other:?}"))]);
            HostError::Call { method, message }
        }
        None => HostError::Timeout { method, millis: crm_work::ANSWER_TIMEOUT_MS },
    }
}

impl Host for RemoteHost {
    fn kind(&self) -> HostKind {
        HostKind::Standalone
    }

    fn connect<'a>(&'a self, panel: &'a PanelSettings, events: EventSink) -> HostFuture<'a, ()> {
        self.local.connect(panel, events)
    }

    fn show(&self) -> HostFuture<'_, ()> {
        self.local.show()
    }

    fn set_label<'a>(&'a self, label: &'a str) -> HostFuture<'a, ()> {
        self.local.set_label(label)
    }

    fn find_records<'a>(&'a self, number: &'a str, direction: CallDirection) -> HostFuture<'a, Vec<RecordRef>> {
        Box::pin(async move {
            let work = CrmWork::FindRecords { number: number.to_owned(), direction };
            match self.ask(work).await? {
                Some(CrmAnswer::Records(records)) => Ok(records),
                answer => Err(unexpected("find_records", answer)),
            }
        })
    }

    fn open_record<'a>(&'a self, record: &'a RecordRef) -> HostFuture<'a, ()> {
        Box::pin(self.start(CrmWork::OpenRecord(record.clone())))
    }

    fn open_new_record<'a>(&'a self, number: &'a str) -> HostFuture<'a, ()> {
        Box::pin(self.start(CrmWork::OpenNewRecord(number.to_owned())))
    }

    fn post_log<'a>(&'a self, log: &'a CallLog, update: bool) -> PostFuture<'a> {
        Box::pin(async move {
            match self.ask(CrmWork::PostLog { log: log.clone(), update }).await {
                Ok(answer) => crm_work::post_outcome(answer),
                Err(error) => super::post_outcome(error),
            }
        })
    }

    fn needs_authorisation(&self) -> HostFuture<'_, bool> {
        Box::pin(async move {
            match self.ask(CrmWork::NeedsAuthorisation).await? {
                Some(CrmAnswer::NeedsAuthorisation(needed)) => Ok(needed),
                answer => Err(unexpected("needs_authorisation", answer)),
            }
        })
    }

    fn authorise(&self) -> HostFuture<'_, ()> {
        Box::pin(async { Err(HostError::Unsupported { method: "authorise", why: AUTHORISE_IN_CRM_WINDOW }) })
    }
}
