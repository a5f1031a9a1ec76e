//! The app's link to the CRM: carries out the desk's screen pops through the host, keeps every
//! call log in the durable outbox and delivers it, and shows the agent what waits or failed.
//!
//! Order of work, so that nothing is lost or duplicated: a log is written to IndexedDB before
//! its first post; a post's "in flight" state is written before the request leaves (a reload
//! then knows the log may exist and updates it); each answer is written as it settles.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use sip::agent::CallRef;
use sip::random::SplitMix;

use super::instances::Instances;
use crate::activity::outbox::{Hold, LogState, Outbox, Post};
use crate::activity::store::StoreError;
use crate::activity::{CallDirection, CallLog, RecordRef, store};
use crate::browser::wakeable_sleep;
use crate::desk::{AppEvent, DeskEvent};
use crate::host::RemoteHost;
use crate::host::{Host, HostError};
use crate::i18n::t_args;
use crate::session::PhoneSession;
use crate::sync::crm_work::{CrmAnswer, CrmFailure, CrmWork};
use crate::sync::envelope::Body;
use crate::sync::message::PeerId;
use crate::ui::PhoneState;

/// The CRM link; cloning shares it.
#[derive(Clone)]
pub(super) struct CrmLink(Rc<Inner>);

struct Inner {
    host: Rc<dyn Host>,
    state: PhoneState,
    /// Where the outbox is kept: one per CRM page origin (the pop-out has its own).
    key: String,
    outbox: RefCell<Outbox<CallLog>>,
    random: RefCell<SplitMix>,
    /// The outbox changed since it was last written.
    dirty: Cell<bool>,
    /// The worker runs (writing, handing out posts); a kick meanwhile makes it go round again.
    running: Cell<bool>,
    again: Cell<bool>,
    /// Wakes the worker's sleep until the next due post.
    wake: RefCell<Option<js_sys::Function>>,
    /// The last problem of the durable copy, shown with the Activity list.
    store_problem: RefCell<Option<String>>,
    /// The host attached: this window can do CRM work, its own or an owner's.
    attached: Cell<bool>,
    /// Tells the phone's other windows that this one can do CRM work for them.
    offer: RefCell<Option<Box<dyn Fn()>>>,
    /// This window holds the outbox's lock: it alone delivers the stored logs and writes them.
    holding: Cell<bool>,
    /// It asked for the lock and waits for it.
    asked: Cell<bool>,
    /// Its requests for the lock, counted.
    tickets: Cell<u32>,
    /// The stored copy could not be read: it is never written over.
    left_alone: Cell<bool>,
}

impl CrmLink {
    /// A link for `host`, keeping its outbox under `origin` (none: the pop-out).
    pub(super) fn new(host: Rc<dyn Host>, state: PhoneState, origin: Option<String>) -> CrmLink {
        let seed = (js_sys::Date::now() as u64) ^ ((js_sys::Math::random() * u32::MAX as f64) as u64) << 20;
        CrmLink(Rc::new(Inner {
            host,
            state,
            key: format!("outbox|{}", origin.as_deref().unwrap_or("pop-out")),
            outbox: RefCell::new(Outbox::default()),
            random: RefCell::new(SplitMix(seed)),
            dirty: Cell::new(false),
            running: Cell::new(false),
            again: Cell::new(false),
            wake: RefCell::new(None),
            store_problem: RefCell::new(None),
            attached: Cell::new(false),
            offer: RefCell::new(None),
            holding: Cell::new(false),
            asked: Cell::new(false),
            tickets: Cell::new(0),
            left_alone: Cell::new(false),
        }))
    }

    /// Takes charge of the stored outbox once this window holds its lock: one window per CRM
    /// site delivers and writes it, so that two tabs never post the same logs or write over each
    /// other. `steal`: the window that owns the phone, whose calls make the new logs, takes the
    /// lock from the tab holding it; the others wait their turn.
    pub(super) fn take_charge(&self, steal: bool) {
        if self.0.holding.get() || (self.0.asked.get() && !steal) {
            return;
        }
        self.0.asked.set(true);
        // Only the newest request speaks for this window: a steal of its own ends an older one.
        let ticket = self.0.tickets.get() + 1;
        self.0.tickets.set(ticket);
        let (granted, lost) = (self.clone(), self.clone());
        super::web_lock::hold(
            &format!("framephone.{}", self.0.key),
            steal,
            move || {
                if !granted.0.holding.replace(true) {
                    spawn_local(async move { granted.resume().await });
                }
            },
            move || {
                if lost.0.tickets.get() != ticket {
                    return;
                }
                // Another tab delivers from now on, from the stored copy this one kept written.
                lost.0.holding.set(false);
                lost.0.asked.set(false);
                *lost.0.outbox.borrow_mut() = Outbox::default();
                lost.0.dirty.set(false);
                lost.show();
                lost.take_charge(false);
            },
        );
    }

    /// Reads what an earlier page left in the outbox and starts delivering it.
    async fn resume(&self) {
        match store::load(&self.0.key).await {
            Ok(stored) => {
                let mut outbox = self.0.outbox.borrow_mut();
                let ours = std::mem::replace(&mut *outbox, Outbox::restore(stored, now()));
                if let Some(hold) = ours.hold() {
                    outbox.hold_for(hold);
                }
                // Logs of this page's calls (none yet, usually) come after the older ones.
                for entry in ours.entries() {
                    let (key, log) = (entry.key.clone(), entry.log.clone());
                    let _ = match entry.state {
                        LogState::WrappingUp => outbox.draft(key, log),
                        _ => outbox.add(key, log, now()),
                    };
                }
                self.0.dirty.set(true);
            }
            Err(error) => {
                // A copy set aside may be written over; one that could not be read at all may
                // still hold logs: it is left as it is, and this page's logs live in memory.
                self.0.left_alone.set(!matches!(error, StoreError::Unreadable { .. }));
                *self.0.store_problem.borrow_mut() = Some(error.to_string());
            }
        }
        self.kick();
    }

    /// From now on `offer` tells the phone's other windows that this one, attached to its CRM,
    /// can do their CRM work: when the host attaches, when the agent authorised the CRM, and
    /// when asked ([`CrmLink::offer`]).
    pub(super) fn offer_with(&self, offer: impl Fn() + 'static) {
        *self.0.offer.borrow_mut() = Some(Box::new(offer));
    }

    /// Offers this window's CRM to the other windows, if it is attached to one.
    pub(super) fn offer(&self) {
        if let Some(offer) = self.0.offer.borrow().as_ref().filter(|_| self.0.attached.get()) {
            offer();
        }
    }

    /// The host attached (for the pop-out: a CRM window offered itself): logs waiting for a
    /// CRM, or for the agent's permission, may go. A CRM whose REST API wants the agent's
    /// permission first shows Authorise at once, rather than at the first call.
    pub(super) fn host_attached(&self) {
        self.0.attached.set(true);
        {
            let mut outbox = self.0.outbox.borrow_mut();
            outbox.release(Hold::NoHost, now());
            outbox.release(Hold::Unauthorised, now());
        }
        self.offer();
        self.kick();
        let link = self.clone();
        spawn_local(async move {
            if link.0.host.needs_authorisation().await == Ok(true) {
                link.hold_for_authorisation();
            }
        });
    }

    /// Nothing goes to the CRM until the agent authorises; the Activity list says so.
    fn hold_for_authorisation(&self) {
        self.0.outbox.borrow_mut().hold_for(Hold::Unauthorised);
        self.0.dirty.set(true);
        self.kick();
    }

    /// Carries out what the desk asks of the CRM; other events are not the link's.
    pub(super) fn on_event(&self, event: &AppEvent, session: &PhoneSession) {
        match event {
            AppEvent::FindRecords { call, number, direction } => self.find(*call, number.clone(), *direction, session),
            AppEvent::OpenRecord(record) => self.open(record.clone()),
            AppEvent::OpenNewRecord(number) => self.open_new(number.clone()),
            AppEvent::Log { log, complete } => self.keep(log.clone(), *complete),
            AppEvent::SignedInAtService => self.authorised(),
            AppEvent::Ringing { .. }
            | AppEvent::Answered { .. }
            | AppEvent::Ended(_)
            | AppEvent::TookOver { .. }
            | AppEvent::CredentialsRefused => {}
        }
    }

    /// The agent's Retry on one log.
    pub(super) fn retry(&self, key: &str) {
        self.0.outbox.borrow_mut().retry(key, now());
        self.0.dirty.set(true);
        self.kick();
    }

    /// The agent's Authorise.
    pub(super) fn authorise(&self) {
        let link = self.clone();
        // Still inside the click's user activation: browsers let a popup open for a few
        // seconds after it.
        spawn_local(async move {
            match link.0.host.authorise().await {
                Ok(()) => link.authorised(),
                Err(error) => link.tell(t_args("session.crm.authorise-failed", &[("error", &error.to_string())])),
            }
        });
    }

    /// The CRM's REST API may be used now: what waited for it goes.
    fn authorised(&self) {
        self.0.outbox.borrow_mut().release(Hold::Unauthorised, now());
        self.0.dirty.set(true);
        self.offer();
        self.kick();
    }

    fn find(&self, call: CallRef, number: String, direction: CallDirection, session: &PhoneSession) {
        let link = self.clone();
        let session = session.clone();
        spawn_local(async move {
            match link.0.host.find_records(&number, direction).await {
                Ok(records) => session.tell(DeskEvent::RecordsFound { call, records }),
                // A CRM the phone does not search (no REST client configured) is not news.
                Err(HostError::Unsupported { .. }) => {}
                // The Activity list asks for the permission, with Authorise beside it: a second
                // line saying so would only take the small panel's room.
                Err(HostError::Unauthorised) => link.hold_for_authorisation(),
                Err(error) => link.tell(t_args("session.crm.lookup-failed", &[("error", &error.to_string())])),
            }
        });
    }

    fn open(&self, record: RecordRef) {
        let link = self.clone();
        spawn_local(async move {
            if let Err(error) = link.0.host.open_record(&record).await {
                let error = error.to_string();
                link.tell(t_args("session.crm.open-failed", &[("name", &record.name), ("error", &error)]));
            }
        });
    }

    fn open_new(&self, number: String) {
        let link = self.clone();
        spawn_local(async move {
            if let Err(error) = link.0.host.open_new_record(&number).await {
                link.tell(t_args("session.crm.new-record-failed", &[("error", &error.to_string())]));
            }
        });
    }

    /// Does CRM work for the owner of the phone (the pop-out, which has no CRM page) with this
    /// window's host. Opening a record only starts here: its failure is shown in this window,
    /// where the agent looks for the record.
    pub(super) async fn work_for_owner(&self, work: CrmWork) -> CrmAnswer {
        if !self.0.attached.get() {
            return CrmAnswer::Failed(CrmFailure::NotAttached);
        }
        let host = &self.0.host;
        match work {
            CrmWork::FindRecords { number, direction } => match host.find_records(&number, direction).await {
                Ok(records) => CrmAnswer::Records(records),
                Err(error) => CrmAnswer::Failed(CrmFailure::of(error)),
            },
            CrmWork::OpenRecord(record) => {
                self.open(record);
                CrmAnswer::Started
            }
            CrmWork::OpenNewRecord(number) => {
                self.open_new(number);
                CrmAnswer::Started
            }
            CrmWork::PostLog { log, update } => CrmAnswer::Posted(host.post_log(&log, update).await),
            CrmWork::NeedsAuthorisation => match host.needs_authorisation().await {
                Ok(needed) => CrmAnswer::NeedsAuthorisation(needed),
                Err(error) => CrmAnswer::Failed(CrmFailure::of(error)),
            },
        }
    }

    fn keep(&self, log: CallLog, complete: bool) {
        if !self.0.host.takes_call_logs() {
            return;
        }
        let key = log.call_id.clone();
        let kept = {
            let mut outbox = self.0.outbox.borrow_mut();
            if complete { outbox.add(key, log, now()) } else { outbox.draft(key, log) }
        };
        if let Err(error) = kept {
            self.tell(error.to_string());
        }
        self.0.dirty.set(true);
        self.kick();
    }

    /// Runs the worker, or makes the running one go round again.
    fn kick(&self) {
        if self.0.running.get() {
            self.0.again.set(true);
            if let Some(wake) = self.0.wake.borrow_mut().take() {
                let _ = wake.call0(&wasm_bindgen::JsValue::NULL);
            }
            return;
        }
        self.0.running.set(true);
        let link = self.clone();
        spawn_local(async move { link.work().await });
    }

    /// Writes the outbox when it changed, hands out the posts that are due (written as in
    /// flight first), and sleeps until the next one is due or something changes.
    async fn work(&self) {
        loop {
            self.0.again.set(false);
            if !self.0.holding.get() {
                // The logs kept meanwhile are written and sent once the lock is held.
                self.show();
                break;
            }
            self.write().await;
            let posts = self.0.outbox.borrow_mut().due(now(), &mut *self.0.random.borrow_mut());
            if !posts.is_empty() {
                self.0.dirty.set(true);
                self.write().await;
                for post in posts {
                    self.send(post);
                }
            }
            self.show();
            if self.0.again.get() {
                continue;
            }
            let Some(due) = self.0.outbox.borrow().next_due() else { break };
            let wait = due.saturating_sub(now()).min(i32::MAX as u64) as i32;
            let (wake, sleep) = wakeable_sleep(wait.max(1));
            *self.0.wake.borrow_mut() = wake;
            sleep.await;
            self.0.wake.borrow_mut().take();
        }
        self.0.running.set(false);
        if self.0.again.get() {
            self.kick();
        }
    }

    async fn write(&self) {
        if self.0.left_alone.get() {
            self.0.dirty.set(false);
            return;
        }
        while self.0.dirty.replace(false) {
            let copy = self.0.outbox.borrow().clone();
            let problem = store::save(&self.0.key, &copy).await.err().map(|e| e.to_string());
            *self.0.store_problem.borrow_mut() = problem;
        }
    }

    fn send(&self, post: Post<CallLog>) {
        let link = self.clone();
        spawn_local(async move {
            let outcome = link.0.host.post_log(&post.log, post.update).await;
            link.0.outbox.borrow_mut().settle(&post.key, outcome, now(), &mut *link.0.random.borrow_mut());
            link.0.dirty.set(true);
            link.kick();
        });
    }

    /// Puts the Activity list's view into the components' state.
    fn show(&self) {
        let mut view = self.0.outbox.borrow().view(CallLog::label);
        view.store_problem = self.0.store_problem.borrow().clone();
        if self.0.state.activity.with_untracked(|old| *old != view) {
            self.0.state.activity.set(view);
        }
    }

    fn tell(&self, text: String) {
        self.0.state.view_notice.set(Some(text));
    }
}

/// What the phone's other windows say about CRM work: a framed instance offering itself, going
/// away or answering (heard by the pop-out, whose `remote` host asked), and the owner looking
/// for one or asking it for work (heard by a framed instance, whose `link` does it).
pub(super) fn on_heard(link: &CrmLink, remote: Option<&RemoteHost>, instances: &Instances, from: PeerId, body: Body) {
    match (body, remote) {
        (Body::CrmReady, Some(remote)) => {
            remote.served_by(from);
            link.host_attached();
        }
        (Body::CrmGone, Some(remote)) => remote.gone(&from),
        (Body::CrmAnswer { id, answer, .. }, Some(remote)) => remote.answer(id, answer),
        (Body::CrmWanted, _) => link.offer(),
        (Body::CrmWork { id, work, .. }, _) => {
            let (link, instances) = (link.clone(), instances.clone());
            spawn_local(async move {
                let answer = link.work_for_owner(work).await;
                instances.send(Body::CrmAnswer { to: from, id, answer });
            });
        }
        _ => {}
    }
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}
