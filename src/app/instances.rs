//! One phone across the agent's windows, the browser side: the channels the instances of the
//! phone reach each other by, and the ownership machine (`crate::sync`) driven by them.
//!
//! Two channels, because a framed instance's storage and channels are partitioned by the CRM's
//! site. A `BroadcastChannel` joins the instances of one site (several CRM tabs); `postMessage`
//! joins windows that hold each other: the frame that opened the pop-out, and the pop-out, which
//! reaches its frame again by `window.opener` after the frame reloads, while a frame whose page
//! navigated finds the pop-out again by its window name. An instance on both channels passes
//! each envelope on once, so that every instance hears every other.
//!
//! Only the phone's own origin is heard: a `BroadcastChannel` is same-origin by definition, and
//! window messages of any other origin are dropped before they are read. Envelopes are read
//! strictly (`crate::sync::envelope`), and a mirror shows only what its owner sent.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent, Window};

use crate::command::Command;
use crate::credentials::KeptSignIn;
use crate::model::PhoneSnapshot;
use crate::sync::envelope::{Body, Envelope, MAX_ENVELOPE_BYTES, Seen};
use crate::sync::home::PhoneHome;
use crate::sync::message::{Message, PeerId, Place};
use crate::sync::ownership::{Action, OWNER_LOST_MS, Ownership, Role};

use super::web_lock::{Held, try_hold};

/// The pop-out window's name, by which a frame whose page navigated finds it again.
pub const POP_OUT_NAME: &str = "framephone-popout";
/// The channel of the instances inside one site.
const CHANNEL: &str = "framephone.phone";
/// Marks, for this tab's session, that a frame of this tab opened the pop-out.
const POPPED_OUT_KEY: &str = "framephone.popped-out";
/// How long a new instance waits for a sibling tab's owner to answer.
const SIBLING_DISCOVERY_MS: u64 = 150;
/// The Web Lock the owner holds: keyed like the `BroadcastChannel`, so that an instance that
/// finds it free knows no sibling owns the phone (a reloaded page finds it at once).
const OWNER_LOCK: &str = "framephone.phone-owner";

/// What the app hears from the other instances.
pub enum SyncEvent {
    /// Where the phone lives changed.
    Home(PhoneHome),
    /// Start the phone here.
    Own,
    /// Stop the phone here: another instance runs it.
    Stop,
    /// The owner's model, to show.
    Snapshot(PhoneSnapshot),
    /// A mirror's command, for the phone here.
    Command(Command),
    /// The owner's kept sign-in (none: the agent signed out).
    KeptSignIn(Option<KeptSignIn>),
    /// A framed window (the one named) asks this pop-out to give the phone back.
    PopIn(PeerId),
    /// Another instance started: the owner tells it what it needs.
    Joined,
    /// An envelope for this instance to act on, checked for who may send it and to whom:
    /// a mirror's Dial, calls moving to this window and word of them, and CRM work done by a
    /// framed instance for an owner without a CRM.
    Heard {
        /// The instance that sent it.
        from: PeerId,
        /// What it says.
        body: Body,
    },
}

/// Where the app hears what an instance must do.
type Handler = Rc<dyn Fn(SyncEvent)>;

/// This instance among the others; cloning shares it.
#[derive(Clone)]
pub struct Instances(Rc<Inner>);

struct Inner {
    me: PeerId,
    place: Place,
    /// The page's own origin, the only one heard.
    origin: String,
    ownership: RefCell<Ownership>,
    home: Cell<PhoneHome>,
    seq: Cell<u64>,
    seen: RefCell<Seen>,
    channel: Option<BroadcastChannel>,
    /// Windows that hold this one or that it holds (the opener, the pop-out, a frame heard from).
    windows: RefCell<Vec<Window>>,
    /// Whether another instance has been heard: before that, nothing is published.
    company: Cell<bool>,
    /// Whether this instance offered to do CRM work: it says when it goes away.
    offered_crm: Cell<bool>,
    timer: RefCell<Option<TimeoutHandle>>,
    /// [`OWNER_LOCK`], while this instance owns the phone.
    owner_lock: RefCell<Option<Held>>,
    /// The app's handler, once the phone's parts exist; until then events wait in `queued`.
    on: RefCell<Option<Handler>>,
    queued: RefCell<Vec<SyncEvent>>,
    /// Whether the Web Lock was asked who owns the phone: its answer comes in a moment.
    asked_the_lock: bool,
    /// Ends [`Instances::home_known`]'s wait once the phone's home is known.
    home_found: RefCell<Option<js_sys::Function>>,
}

/// Where an envelope came in, so that it is not sent back there.
enum Arrival {
    Channel,
    Window(Window),
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

impl Instances {
    /// Joins the other instances as a new one at `place`, as early as the page may: what it
    /// hears waits for [`Instances::attach`].
    pub fn start(place: Place) -> Instances {
        let window = web_sys::window().expect("a window");
        let origin = window.location().origin().unwrap_or_default();
        let (mut ownership, actions) = Ownership::new(new_peer_id(), place, now());
        let mut windows = Vec::new();
        if let Some(opener) = window.opener().ok().and_then(as_window) {
            windows.push(opener);
        }
        let pop_out = if place == Place::Embedded { find_pop_out(&window) } else { None };
        let wait = if pop_out.is_some() { OWNER_LOST_MS } else { SIBLING_DISCOVERY_MS };
        ownership.wait_for_owner(now(), wait);
        // Only sibling tabs could answer: the free lock says at once that none owns the phone.
        let ask_the_lock = windows.is_empty() && pop_out.is_none();
        windows.extend(pop_out);
        let role = ownership.role();
        let instances = Instances(Rc::new(Inner {
            me: ownership.me().clone(),
            place,
            origin,
            ownership: RefCell::new(ownership),
            home: Cell::new(PhoneHome::of(&role, false)),
            seq: Cell::new(0),
            seen: RefCell::new(Seen::default()),
            channel: BroadcastChannel::new(CHANNEL).ok(),
            windows: RefCell::new(windows),
            company: Cell::new(false),
            offered_crm: Cell::new(false),
            timer: RefCell::new(None),
            owner_lock: RefCell::new(None),
            on: RefCell::new(None),
            queued: RefCell::new(Vec::new()),
            asked_the_lock: ask_the_lock,
            home_found: RefCell::new(None),
        }));
        instances.listen(&window);
        instances.apply(actions);
        if ask_the_lock {
            let weak = Rc::downgrade(&instances.0);
            try_hold(OWNER_LOCK, true, move |held| {
                let (Some(inner), Some(held)) = (weak.upgrade(), held) else { return };
                let actions = inner.ownership.borrow_mut().nobody_owns(now());
                if actions.is_empty() {
                    return held.release(); // an owner was heard meanwhile
                }
                *inner.owner_lock.borrow_mut() = Some(held);
                Instances(inner).apply(actions);
            });
        }
        instances
    }

    /// Holds [`OWNER_LOCK`] while this instance owns the phone (it may wait for an owner that
    /// lets go), and lets it go otherwise.
    fn follow_owner_lock(&self, owns: bool) {
        if !owns {
            if let Some(held) = self.0.owner_lock.borrow_mut().take() {
                held.release();
            }
            return;
        }
        if self.0.owner_lock.borrow().is_some() {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        try_hold(OWNER_LOCK, false, move |held| {
            let Some(held) = held else { return };
            let owner = weak
                .upgrade()
                .filter(|inner| inner.owner_lock.borrow().is_none() && inner.ownership.borrow().role() == Role::Owner);
            match owner {
                Some(inner) => *inner.owner_lock.borrow_mut() = Some(held),
                None => held.release(),
            }
        });
    }

    /// From now on `on` hears what this instance must do, starting with what it heard so far.
    pub fn attach(&self, on: impl Fn(SyncEvent) + 'static) {
        let on: Handler = Rc::new(on);
        *self.0.on.borrow_mut() = Some(on.clone());
        let queued = std::mem::take(&mut *self.0.queued.borrow_mut());
        for event in queued {
            on(event);
        }
    }

    fn emit(&self, event: SyncEvent) {
        let on = self.0.on.borrow().clone();
        match on {
            Some(on) => on(event),
            None => self.0.queued.borrow_mut().push(event),
        }
    }

    /// Where this instance runs.
    pub fn place(&self) -> Place {
        self.0.place
    }

    /// Where the phone lives, seen from here.
    pub fn home(&self) -> PhoneHome {
        self.0.home.get()
    }

    /// Waits, at most `most_ms`, until the Web Lock has said whether the phone runs here: at
    /// once when its home is known, or when only other windows' answers (which take longer)
    /// can tell.
    pub async fn home_known(&self, most_ms: i32) {
        if !self.0.asked_the_lock || self.home() != PhoneHome::Finding {
            return;
        }
        let (found, wait) = crate::browser::wakeable_sleep(most_ms);
        *self.0.home_found.borrow_mut() = found;
        wait.await;
    }

    /// Whether the phone runs here.
    pub fn owns(&self) -> bool {
        self.0.home.get().here()
    }

    /// Sends `body` to every other instance.
    pub fn send(&self, body: Body) {
        let seq = self.0.seq.get() + 1;
        self.0.seq.set(seq);
        let envelope = Envelope { from: self.0.me.clone(), seq, body };
        let bytes: JsValue = js_sys::Uint8Array::from(envelope.to_bytes().as_slice()).into();
        // Not noted as seen: an envelope that comes back is known by its sender (`take`), and
        // a lone instance's heartbeats would fill the list for nothing.
        if let Some(channel) = &self.0.channel {
            let _ = channel.post_message(&bytes);
        }
        self.post_to_windows(&bytes, None);
    }

    /// Sends the owner's model to the mirrors, if there are any to see it.
    pub fn publish(&self, snapshot: &PhoneSnapshot) {
        if self.owns() && self.0.company.get() {
            self.send(Body::Snapshot(snapshot.clone()));
        }
    }

    /// Offers this instance's CRM (it is attached to one) to do an owner's CRM work.
    pub fn offer_crm(&self) {
        self.0.offered_crm.set(true);
        self.send(Body::CrmReady);
    }

    /// Joins a window this one opened (the pop-out) and says hello to it.
    pub fn link(&self, window: Window) {
        self.remember_window(&window);
        if let Some(storage) = crate::browser::session_storage() {
            let _ = storage.set_item(POPPED_OUT_KEY, "1");
        }
        let place = self.0.place;
        self.send(Body::Ownership(Message::Hello { peer: self.0.me.clone(), place }));
    }

    /// Whether calls are in progress here (an owner with calls hands the phone over after them).
    pub fn set_busy(&self, busy: bool) {
        let actions = self.0.ownership.borrow_mut().set_busy(busy, now());
        self.apply(actions);
    }

    /// The agent runs the phone in this window, whose pop-out owner is out of reach.
    pub fn use_phone_here(&self) {
        let actions = self.0.ownership.borrow_mut().take_here(now());
        self.apply(actions);
    }

    /// This instance goes away: an owner lets the phone go to whoever claims it.
    pub fn leave(&self) {
        let actions = self.0.ownership.borrow_mut().leave();
        self.apply(actions);
    }

    fn listen(&self, window: &Window) {
        let weak = Rc::downgrade(&self.0);
        // For the life of the page, like the app.
        let on_window_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            if event.origin() != inner.origin {
                return;
            }
            let Some(source) = event.source().and_then(|s| as_window(s.into())) else { return };
            Instances(inner).take(event.data(), Arrival::Window(source));
        });
        let _ = window.add_event_listener_with_callback("message", on_window_message.as_ref().unchecked_ref());
        on_window_message.forget();
        if let Some(channel) = &self.0.channel {
            let weak = Rc::downgrade(&self.0);
            let on_channel_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(inner) = weak.upgrade() else { return };
                Instances(inner).take(event.data(), Arrival::Channel);
            });
            channel.set_onmessage(Some(on_channel_message.as_ref().unchecked_ref()));
            on_channel_message.forget();
        }
        let weak = Rc::downgrade(&self.0);
        let on_page_hide = Closure::<dyn FnMut()>::new(move || {
            let Some(inner) = weak.upgrade() else { return };
            // Only the release: the phone stops with the page by itself, and records the calls
            // the page cuts off as such, which stopping it here first would prevent.
            let actions = inner.ownership.borrow_mut().leave();
            let release = actions.into_iter().filter(|action| matches!(action, Action::Send(_))).collect();
            let instances = Instances(inner);
            if instances.0.offered_crm.get() {
                instances.send(Body::CrmGone);
            }
            instances.apply(release);
        });
        let _ = window.add_event_listener_with_callback("pagehide", on_page_hide.as_ref().unchecked_ref());
        on_page_hide.forget();
    }

    /// An envelope from another instance (its bytes; anything else is not one): read, passed on
    /// once as it came, and acted on.
    fn take(&self, data: JsValue, arrival: Arrival) {
        let Ok(bytes) = data.dyn_into::<js_sys::Uint8Array>() else { return };
        if bytes.length() as usize > MAX_ENVELOPE_BYTES {
            return;
        }
        let Ok(envelope) = Envelope::parse(&bytes.to_vec()) else { return };
        if envelope.from == self.0.me || !self.0.seen.borrow_mut().first_time(&envelope) {
            return;
        }
        self.0.company.set(true);
        match &arrival {
            Arrival::Channel => self.post_to_windows(&bytes, None),
            Arrival::Window(source) => {
                self.remember_window(source);
                if let Some(channel) = &self.0.channel {
                    let _ = channel.post_message(&bytes);
                }
                self.post_to_windows(&bytes, Some(source));
            }
        }
        let from_owner = self.0.ownership.borrow().owner() == Some(&envelope.from);
        let owner = self.owns();
        match envelope.body {
            Body::Ownership(message) => {
                let hello = matches!(message, Message::Hello { .. });
                let actions = self.0.ownership.borrow_mut().on_message(now(), message);
                self.apply(actions);
                if hello && self.owns() {
                    self.emit(SyncEvent::Joined);
                }
            }
            Body::Snapshot(snapshot) if from_owner => self.emit(SyncEvent::Snapshot(snapshot)),
            Body::KeptSignIn(kept) if from_owner => self.emit(SyncEvent::KeptSignIn(kept)),
            Body::PopIn if owner && self.0.place == Place::PopOut => self.emit(SyncEvent::PopIn(envelope.from)),
            // Only the owner's moves and work are taken, and only by the instance they name.
            body @ (Body::Dial { .. } | Body::CallMoved { .. } | Body::CrmReady) if owner => {
                self.emit(SyncEvent::Heard { from: envelope.from, body })
            }
            body @ Body::MoveCalls { .. } if from_owner && body.addressed_to(&self.0.me, self.0.place) => {
                self.emit(SyncEvent::Heard { from: envelope.from, body })
            }
            body @ Body::CrmGone => self.emit(SyncEvent::Heard { from: envelope.from, body }),
            body @ (Body::CrmWanted | Body::CrmWork { .. })
                if from_owner && body.addressed_to(&self.0.me, self.0.place) =>
            {
                self.emit(SyncEvent::Heard { from: envelope.from, body })
            }
            body @ Body::CrmAnswer { .. } if owner && body.addressed_to(&self.0.me, self.0.place) => {
                self.emit(SyncEvent::Heard { from: envelope.from, body })
            }
            body if owner => {
                if let Some(command) = body.into_command() {
                    self.emit(SyncEvent::Command(command));
                }
            }
            _ => {}
        }
    }

    /// Carries out what the ownership machine asks, then tells the app where the phone lives
    /// if that changed, and sets the machine's next wake-up.
    fn apply(&self, actions: Vec<Action>) {
        // Where the phone lives is known before the actions run: the phone started by `Own`
        // publishes its first model as the owner's.
        let home = {
            let ownership = self.0.ownership.borrow();
            PhoneHome::of(&ownership.role(), ownership.hands_over_after_calls())
        };
        if self.0.home.replace(home) != home {
            self.emit(SyncEvent::Home(home));
        }
        if home != PhoneHome::Finding
            && let Some(found) = self.0.home_found.borrow_mut().take()
        {
            let _ = found.call0(&JsValue::UNDEFINED);
        }
        for action in actions {
            match action {
                Action::Send(message) => self.send(Body::Ownership(message)),
                Action::Own => {
                    // A pop-out this tab opened is gone, since this frame owns the phone.
                    if let Some(storage) = crate::browser::session_storage() {
                        let _ = storage.remove_item(POPPED_OUT_KEY);
                    }
                    self.follow_owner_lock(true);
                    self.emit(SyncEvent::Own)
                }
                Action::Mirror(_) | Action::Stop => {
                    self.follow_owner_lock(false);
                    self.emit(SyncEvent::Stop)
                }
            }
        }
        self.wake_later();
    }

    fn wake_later(&self) {
        if let Some(timer) = self.0.timer.borrow_mut().take() {
            timer.clear();
        }
        let at = self.0.ownership.borrow().next_wake();
        if at == u64::MAX {
            return;
        }
        let weak = Rc::downgrade(&self.0);
        let wake = move || {
            let Some(inner) = weak.upgrade() else { return };
            // A window of the pop-out held here, even closed, tells a gone pop-out from one out
            // of earshot.
            let reaches = !inner.windows.borrow().is_empty();
            inner.ownership.borrow_mut().set_reaches_pop_out(reaches);
            let actions = inner.ownership.borrow_mut().tick(now());
            Instances(inner).apply(actions);
        };
        let delay = Duration::from_millis(at.saturating_sub(now()));
        *self.0.timer.borrow_mut() = set_timeout_with_handle(wake, delay).ok();
    }

    fn remember_window(&self, window: &Window) {
        let mut windows = self.0.windows.borrow_mut();
        windows.retain(|w| !w.closed().unwrap_or(true));
        if !windows.iter().any(|w| js_sys::Object::is(w, window)) {
            windows.push(window.clone());
        }
    }

    fn post_to_windows(&self, bytes: &JsValue, except: Option<&Window>) {
        let windows: Vec<Window> = self.0.windows.borrow().clone();
        for window in windows {
            if except.is_some_and(|e| js_sys::Object::is(e, &window)) || window.closed().unwrap_or(true) {
                continue;
            }
            // Only a window of the phone's own origin receives it.
            let _ = window.post_message(bytes, &self.0.origin);
        }
    }
}

/// `value` as a window, if it is one. Not by `instanceof`: a window of another document (the
/// pop-out seen from its frame, the opener seen from the pop-out) belongs to another realm,
/// whose `Window` is not this page's, and would be refused.
fn as_window(value: JsValue) -> Option<Window> {
    let has = |name: &str| js_sys::Reflect::get(&value, &name.into()).ok();
    let posts = has("postMessage").is_some_and(|f| f.is_function());
    let closes = has("closed").is_some_and(|closed| closed.as_bool().is_some());
    (value.is_object() && posts && closes).then(|| value.unchecked_into())
}

/// The pop-out a frame of this tab opened, found again by its name (after the CRM page
/// reloaded or navigated); nothing if this tab opened none, or it has gone.
fn find_pop_out(window: &Window) -> Option<Window> {
    let storage = crate::browser::session_storage()?;
    storage.get_item(POPPED_OUT_KEY).ok().flatten()?;
    // With no window of that name, the browser opens a blank one, or blocks it for want of a
    // click: a blank one is closed at once.
    let found = window.open_with_url_and_target("", POP_OUT_NAME).ok().flatten();
    let ours = found.as_ref().is_some_and(|w| w.location().href().is_ok_and(|href| href != "about:blank"));
    if !ours {
        if let Some(blank) = found {
            let _ = blank.close();
        }
        let _ = storage.remove_item(POPPED_OUT_KEY);
        return None;
    }
    found
}

/// A random id for this page load.
fn new_peer_id() -> PeerId {
    let mut bytes = [0u8; 12];
    let random = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !random {
        let seed = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
        bytes[..4].copy_from_slice(&seed.to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    PeerId::parse(&hex).expect("hex is a valid peer id")
}
