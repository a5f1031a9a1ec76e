//! Presence and busy lamp: SUBSCRIBE/NOTIFY for `presence` and `dialog` (RFC 6665, RFC 3856,
//! RFC 4235) and PUBLISH of our own state (RFC 3903).
//!
//! Recovery is bounded whatever the server answers: a subscription that keeps failing (481,
//! 423, 408/480/5xx, `Subscription-State: terminated` with a reason that invites a retry) starts
//! over with growing delays and stops, reported, after [`SUBSCRIBE_RETRY`]'s limit; 423 raises
//! the interval once, to at most [`MAX_SUBSCRIBE_EXPIRES`]; a PUBLISH answered 412 publishes the
//! whole state again, first at once, then with growing delays, and gives up after
//! [`PUBLISH_RETRY`]'s limit. Refreshes never come sooner than the registration's floor.

use super::backoff::{Backoff, RetryPolicy};
use super::context::TimerKey;
use super::dialog::Dialog;
use super::events::{Event, SubscriptionRef};
use super::transactions::{Notice, Owner, TxId};
use super::{CommandError, UserAgent};
use crate::Millis;
use crate::body::{DialogInfo, Presence, PresenceState, pidf_document};
use crate::headers::{parse_number, value_with_params};
use crate::message::{HeaderName, Method, Request, Response, Uri};
use crate::registration::REFRESH_FLOOR_SECONDS;
use crate::transaction::Failure;

/// An event package the agent subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Package {
    /// Presence (PIDF): available, busy, away, offline, and a note.
    Presence,
    /// Dialog state (RFC 4235): idle, ringing, on a call.
    Dialog,
}

impl Package {
    fn event(self) -> &'static str {
        match self {
            Package::Presence => "presence",
            Package::Dialog => "dialog",
        }
    }

    fn accept(self) -> &'static str {
        match self {
            Package::Presence => "application/pidf+xml",
            Package::Dialog => "application/dialog-info+xml",
        }
    }
}

/// One subscription.
#[derive(Debug)]
pub(super) struct Subscription {
    target: Uri,
    package: Package,
    call_id: String,
    local_tag: String,
    cseq: u32,
    dialog: Option<Dialog>,
    /// The dialog-info state so far, which partial NOTIFYs update.
    line: Option<DialogInfo>,
    /// Unsubscribing: forget it once the last transaction ends.
    ending: bool,
    /// The lifetime we ask for (raised once by a 423's Min-Expires).
    expires: u32,
    /// A 423 raised `expires` already.
    interval_raised: bool,
    /// Failures in a row since the subscription last proved healthy (a refresh accepted).
    backoff: Backoff,
}

impl Subscription {
    /// Whether a NOTIFY with these identifiers is for this subscription (the remote tag may be
    /// new: the NOTIFY can come before the 2xx).
    pub(super) fn belongs(&self, call_id: &[u8], local_tag: &str) -> bool {
        self.call_id.as_bytes() == call_id && self.local_tag == local_tag
    }
}

/// Our published presence.
#[derive(Debug)]
pub(super) struct Publication {
    state: PresenceState,
    note: Option<String>,
    etag: Option<String>,
    call_id: String,
    tag: String,
    cseq: u32,
    ending: bool,
    /// 412s in a row since the last accepted PUBLISH.
    backoff: Backoff,
}

/// Retry a subscription that failed for a reason that may pass after this long.
const RESUBSCRIBE_AFTER: u64 = 30_000;
/// How a failing subscription starts over: after 2–4 s, 4–8 s… (the first retry after a lost
/// dialog comes at once), giving up after six failures in a row.
pub(super) const SUBSCRIBE_RETRY: RetryPolicy = RetryPolicy { first: 2_000, max: 300_000, limit: 6 };
/// How a PUBLISH answered 412 is repeated: at once, then after 2–4 s, 4–8 s…, giving up after
/// five 412s in a row.
pub(super) const PUBLISH_RETRY: RetryPolicy = RetryPolicy { first: 2_000, max: 60_000, limit: 5 };
/// The longest subscription lifetime a 423's Min-Expires may ask for.
pub const MAX_SUBSCRIBE_EXPIRES: u32 = 86_400;
/// The earliest refresh of a subscription or publication after any grant.
const REFRESH_FLOOR: u64 = REFRESH_FLOOR_SECONDS as u64 * 1000;

/// Why a subscription failed, for its retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Retry {
    /// The dialog is gone (481, deactivated, timeout): the first retry may come at once.
    Soon,
    /// The server asked for a wait (probation, giveup: its retry-after), or cannot serve us now.
    After(u64),
}

impl UserAgent {
    /// Watches `target`'s presence or call state; NOTIFYs come as [`Event::Presence`] or
    /// [`Event::LineState`]. Sent once registered, and again after every reconnect.
    pub fn subscribe(&mut self, now: Millis, target: &str, package: Package) -> Result<SubscriptionRef, CommandError> {
        self.ctx.now = now;
        let target = self.target(target)?;
        let limit = self.ctx.config.max_subscriptions;
        if self.subscriptions.values().filter(|s| !s.ending).count() >= limit {
            return Err(CommandError::TooManySubscriptions { limit });
        }
        let id = SubscriptionRef(self.next_handle());
        let subscription = Subscription {
            target,
            package,
            call_id: self.ctx.token(),
            local_tag: self.ctx.tag(),
            cseq: 0,
            dialog: None,
            line: None,
            ending: false,
            expires: self.ctx.config.subscribe_expires,
            interval_raised: false,
            backoff: Backoff::default(),
        };
        self.subscriptions.insert(id, subscription);
        if self.registered {
            self.send_subscribe(id);
        }
        self.dispatch();
        Ok(id)
    }

    /// Ends a subscription.
    pub fn unsubscribe(&mut self, now: Millis, subscription: SubscriptionRef) -> Result<(), CommandError> {
        self.ctx.now = now;
        let state = self.subscriptions.get_mut(&subscription).ok_or(CommandError::NoSuchCall)?;
        state.ending = true;
        self.ctx.timers.cancel(&TimerKey::Subscription(subscription));
        if state.dialog.is_some() && self.ctx.flow().is_some() {
            self.send_subscribe(subscription);
        }
        self.forget_ended_subscriptions();
        self.dispatch();
        Ok(())
    }

    /// Publishes our presence (available, busy, away) with a note such as "Not Ready".
    pub fn publish(&mut self, now: Millis, state: PresenceState, note: Option<&str>) {
        self.ctx.now = now;
        let publication = self.publication.get_or_insert_with(|| Publication {
            state,
            note: None,
            etag: None,
            call_id: self.ctx.random.token(),
            tag: self.ctx.random.tag(),
            cseq: 0,
            ending: false,
            backoff: Backoff::default(),
        });
        publication.state = state;
        publication.note = note.map(str::to_owned);
        publication.ending = false;
        // A new state from the application: 412s before it do not count against it.
        publication.backoff.reset();
        if self.registered {
            self.send_publish(true);
        }
        self.dispatch();
    }

    fn send_subscribe(&mut self, id: SubscriptionRef) {
        let via = self.ctx.via();
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
        let expires = state.expires;
        let mut request = match state.dialog.as_mut() {
            Some(dialog) => dialog.request(Method::Subscribe, via),
            None => {
                state.cseq += 1;
                let (target, call_id, tag, cseq) =
                    (state.target.clone(), state.call_id.clone(), state.local_tag.clone(), state.cseq);
                self.ctx.new_request(Method::Subscribe, &target, &call_id, &tag, cseq)
            }
        };
        let Some(state) = self.subscriptions.get(&id) else { return };
        request.headers.push(HeaderName::Event, state.package.event());
        request.headers.push(HeaderName::Accept, state.package.accept());
        request.headers.push(HeaderName::Expires, if state.ending { "0".to_owned() } else { expires.to_string() });
        request.headers.push(HeaderName::Contact, self.ctx.flow_contact());
        if state.dialog.is_none() {
            self.ctx.authorize_in_advance(&mut request);
        }
        self.ctx.send_request(request, Owner::Subscription(id));
    }

    pub(super) fn refresh_subscription(&mut self, id: SubscriptionRef) {
        if self.registered && self.subscriptions.get(&id).is_some_and(|s| !s.ending) {
            self.send_subscribe(id);
        }
    }

    /// A subscription failed in a way a new one might fix: starts over after a growing delay
    /// (at least `retry`'s), or gives up and reports it once the failures in a row reach the
    /// limit.
    fn retry_subscription(&mut self, id: SubscriptionRef, retry: Retry, what: &str) {
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
        let first = state.backoff.failures() == 0;
        let Some(backoff) = state.backoff.next_delay(SUBSCRIBE_RETRY, &mut *self.ctx.random) else {
            let reason = format!("{what}; gave up after {} failures in a row", SUBSCRIBE_RETRY.limit);
            return self.subscription_ended(id, reason);
        };
        let delay = match retry {
            Retry::Soon if first => 0,
            Retry::Soon => backoff,
            Retry::After(wait) => wait.max(backoff),
        };
        self.restart_subscription(id, delay);
    }

    /// Starts over with a new dialog (after a reconnect, a 481, or a terminated subscription).
    fn restart_subscription(&mut self, id: SubscriptionRef, after: u64) {
        let (call_id, tag) = (self.ctx.token(), self.ctx.tag());
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
        state.dialog = None;
        state.line = None;
        state.call_id = call_id;
        state.local_tag = tag;
        state.cseq = 0;
        self.ctx.timers.set(TimerKey::Subscription(id), self.ctx.now + after);
    }

    pub(super) fn on_subscription_notice(&mut self, id: SubscriptionRef, notice: Notice) {
        match notice {
            Notice::Response { tx, request, response, .. } => self.on_subscribe_response(id, tx, &request, &response),
            // A lost flow is the link's to recover (the subscription starts over once registered
            // again); a server that never answers counts as a failure.
            Notice::Failed { failure, .. } if self.subscriptions.get(&id).is_some_and(|s| !s.ending) => {
                if failure == Failure::Transport {
                    self.restart_subscription(id, RESUBSCRIBE_AFTER);
                } else {
                    self.retry_subscription(id, Retry::After(RESUBSCRIBE_AFTER), "no response");
                }
            }
            _ => {}
        }
        self.forget_ended_subscriptions();
    }

    fn on_subscribe_response(&mut self, id: SubscriptionRef, tx: TxId, request: &Request, response: &Response) {
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
        let status = response.status;
        if status < 200 {
            return;
        }
        if status < 300 {
            if state.dialog.is_none() {
                state.dialog = Dialog::as_uac(request, response);
            }
            if super::to_tag(request).is_some() && !state.ending {
                // A refresh (sent in the dialog, a refresh period after the last one) accepted:
                // the subscription has proved healthy. Not the first 2xx, even when a NOTIFY
                // came before it and made the dialog already.
                state.backoff.reset();
            }
            if state.ending {
                return;
            }
            let granted =
                response.headers.get(&HeaderName::Expires).and_then(|v| parse_number(v).ok()).unwrap_or(state.expires);
            let refresh = u64::from(granted) * 900;
            self.ctx.timers.set(TimerKey::Subscription(id), self.ctx.now + refresh.max(REFRESH_FLOOR));
            return;
        }
        let ending = state.ending;
        match status {
            401 | 407 if !ending => {
                let cseq = match state.dialog.as_mut() {
                    Some(dialog) => {
                        dialog.local_cseq += 1;
                        dialog.local_cseq
                    }
                    None => {
                        state.cseq += 1;
                        state.cseq
                    }
                };
                if self.ctx.retry_challenged(tx, request, response, cseq, Owner::Subscription(id)).is_err() {
                    self.subscription_ended(id, format!("{status}: the server keeps refusing our credentials"));
                }
            }
            _ if ending => {}
            481 => self.retry_subscription(id, Retry::Soon, "481"),
            423 => {
                // Min-Expires is honoured once per subscription, and only when it is sane.
                let minimum = response.headers.get(&HeaderName::MinExpires).and_then(|v| parse_number(v).ok());
                let (raised, asked) = (state.interval_raised, state.expires);
                match minimum.filter(|m| !raised && *m > asked && *m <= MAX_SUBSCRIBE_EXPIRES) {
                    Some(minimum) => {
                        state.expires = minimum;
                        state.interval_raised = true;
                        self.retry_subscription(id, Retry::Soon, "423");
                    }
                    None => self.subscription_ended(id, "423: the server asks for an interval we refuse".into()),
                }
            }
            408 | 480 | 500..=599 => self.retry_subscription(id, Retry::After(RESUBSCRIBE_AFTER), &status.to_string()),
            _ => self.subscription_ended(id, status.to_string()),
        }
    }

    fn subscription_ended(&mut self, id: SubscriptionRef, reason: String) {
        if let Some(state) = self.subscriptions.get_mut(&id) {
            state.ending = true;
            state.dialog = None;
            self.ctx.timers.cancel(&TimerKey::Subscription(id));
            self.ctx.event(Event::SubscriptionEnded { subscription: id, reason });
        }
    }

    /// Forgets subscriptions being ended once nothing of theirs is running.
    fn forget_ended_subscriptions(&mut self) {
        let done: Vec<SubscriptionRef> = self
            .subscriptions
            .iter()
            .filter(|(id, s)| s.ending && !self.ctx.transactions.owned_by(Owner::Subscription(**id)))
            .map(|(id, _)| *id)
            .collect();
        for id in done {
            self.subscriptions.remove(&id);
            self.ctx.timers.cancel(&TimerKey::Subscription(id));
        }
    }

    /// The subscription a NOTIFY is for.
    pub(super) fn subscription_of(&self, request: &Request) -> Option<SubscriptionRef> {
        if request.method != Method::Notify {
            return None;
        }
        let call_id = request.headers.get(&HeaderName::CallId)?;
        let local = super::to_tag(request)?;
        self.subscriptions.iter().find(|(_, s)| s.belongs(call_id, &local)).map(|(id, _)| *id)
    }

    pub(super) fn on_notify(&mut self, id: SubscriptionRef, request: Request) {
        let tx: TxId = self.ctx.start_server(&request, Owner::Subscription(id));
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
        let tag = state.local_tag.clone();
        let in_order = match state.dialog.as_mut() {
            Some(dialog) => dialog.accept_request(&request),
            None => {
                state.dialog = Dialog::as_uas(&request, &tag).map(|mut d| {
                    d.local_cseq = state.cseq;
                    d
                });
                state.dialog.is_some()
            }
        };
        if !in_order {
            return self.ctx.respond(tx, Response::to_request(&request, 500, Some(&tag)));
        }
        self.ctx.respond(tx, Response::to_request(&request, 200, Some(&tag)));
        let package = state.package;
        let ending = state.ending;
        let (substate, params) = request
            .headers
            .get(&HeaderName::SubscriptionState)
            .and_then(|v| value_with_params(v).ok())
            .unwrap_or_else(|| ("active".into(), Default::default()));
        if !request.body.is_empty() && !ending {
            match package {
                Package::Presence => {
                    if let Ok(presence) = Presence::parse(&request.body) {
                        let note = presence.note.clone();
                        self.ctx.event(Event::Presence { subscription: id, state: presence.state(), note });
                    }
                }
                Package::Dialog => {
                    let update = DialogInfo::parse(&request.body).ok();
                    let known = self.subscriptions.get_mut(&id).map(|s| &mut s.line);
                    if let (Some(update), Some(known)) = (update, known) {
                        let changed = match known {
                            Some(known) => known.apply(update),
                            None => {
                                *known = Some(update);
                                true
                            }
                        };
                        if let Some(line) = known.as_ref().filter(|_| changed) {
                            self.ctx.event(Event::LineState { subscription: id, state: line.line_state() });
                        }
                    }
                }
            }
        }
        if substate.eq_ignore_ascii_case("terminated") {
            let reason = params.get("reason").flatten().unwrap_or("noresource").to_ascii_lowercase();
            if ending {
                if let Some(state) = self.subscriptions.get_mut(&id) {
                    state.dialog = None;
                }
            } else if matches!(reason.as_str(), "deactivated" | "timeout" | "probation" | "giveup") {
                // RFC 6665 §4.2.2: deactivated and timeout invite a new subscription at once;
                // probation and giveup ask for a wait (retry-after, or some time).
                let asked = params.get("retry-after").flatten().and_then(|v| v.parse::<u64>().ok());
                let retry = match (reason.as_str(), asked) {
                    (_, Some(seconds)) => Retry::After(seconds.min(3600) * 1000),
                    ("deactivated" | "timeout", None) => Retry::Soon,
                    _ => Retry::After(0),
                };
                self.retry_subscription(id, retry, &format!("terminated ({reason})"));
            } else {
                self.subscription_ended(id, reason);
            }
        }
        self.forget_ended_subscriptions();
    }

    fn send_publish(&mut self, with_body: bool) {
        let aor = self.ctx.config.aor.clone();
        let expires = self.ctx.config.publish_expires;
        let Some(publication) = self.publication.as_mut() else { return };
        publication.cseq += 1;
        let (call_id, tag, cseq) = (publication.call_id.clone(), publication.tag.clone(), publication.cseq);
        let etag = publication.etag.clone();
        let ending = publication.ending;
        let document = pidf_document(&aor.to_string(), publication.state, publication.note.as_deref());
        let mut request = self.ctx.new_request(Method::Publish, &aor, &call_id, &tag, cseq);
        request.headers.push(HeaderName::Event, "presence");
        request.headers.push(HeaderName::Expires, if ending { "0".to_owned() } else { expires.to_string() });
        if let Some(etag) = etag {
            request.headers.push(HeaderName::SipIfMatch, etag);
        }
        if with_body && !ending {
            request.headers.push(HeaderName::ContentType, "application/pidf+xml");
            request.body = document.into_bytes();
        }
        self.ctx.authorize_in_advance(&mut request);
        self.ctx.send_request(request, Owner::Publication);
    }

    /// Refreshes our publication (or, without an entity tag, publishes the whole state again).
    pub(super) fn refresh_publication(&mut self) {
        let Some(publication) = self.publication.as_ref().filter(|p| !p.ending) else { return };
        if self.registered {
            let whole = publication.etag.is_none();
            self.send_publish(whole);
        }
    }

    pub(super) fn on_publication_notice(&mut self, notice: Notice) {
        let (tx, request, response) = match notice {
            Notice::Response { tx, request, response, .. } => (tx, request, response),
            Notice::Failed { .. } => {
                if self.publication.as_ref().is_some_and(|p| !p.ending) {
                    self.ctx.event(Event::PublishFailed { status: 0 });
                }
                return;
            }
            _ => return,
        };
        let Some(publication) = self.publication.as_mut() else { return };
        let status = response.status;
        match status {
            100..=199 => {}
            200..=299 => {
                if publication.ending {
                    self.publication = None;
                    return;
                }
                publication.etag = response.headers.get_str(&HeaderName::SipETag).map(str::to_owned);
                publication.backoff.reset();
                let granted = response
                    .headers
                    .get(&HeaderName::Expires)
                    .and_then(|v| parse_number(v).ok())
                    .unwrap_or(self.ctx.config.publish_expires);
                self.ctx
                    .timers
                    .set(TimerKey::Publication, self.ctx.now + (u64::from(granted) * 900).max(REFRESH_FLOOR));
                if !request.body.is_empty() {
                    self.ctx.event(Event::Published);
                }
            }
            401 | 407 if !publication.ending => {
                publication.cseq += 1;
                let cseq = publication.cseq;
                if self.ctx.retry_challenged(tx, &request, &response, cseq, Owner::Publication).is_err() {
                    self.ctx.event(Event::PublishFailed { status });
                }
            }
            // RFC 3903 §6.2: the server lost our entity tag; publish the whole state again, at
            // once the first time, then after growing delays, and not without end.
            412 if !publication.ending => {
                publication.etag = None;
                let first = publication.backoff.failures() == 0;
                match publication.backoff.next_delay(PUBLISH_RETRY, &mut *self.ctx.random) {
                    Some(_) if first => self.send_publish(true),
                    Some(delay) => self.ctx.timers.set(TimerKey::Publication, self.ctx.now + delay),
                    None => {
                        self.ctx.timers.cancel(&TimerKey::Publication);
                        self.ctx.event(Event::PublishFailed { status });
                    }
                }
            }
            _ if publication.ending => self.publication = None,
            _ => self.ctx.event(Event::PublishFailed { status }),
        }
    }

    /// After (re-)registering: subscriptions start over and our presence is published again.
    pub(super) fn resume_presence(&mut self) {
        let ids: Vec<SubscriptionRef> =
            self.subscriptions.iter().filter(|(_, s)| !s.ending).map(|(id, _)| *id).collect();
        for id in ids {
            self.restart_subscription(id, 0);
        }
        if let Some(publication) = self.publication.as_mut().filter(|p| !p.ending) {
            publication.etag = None;
            self.send_publish(true);
        }
    }

    /// Stopping: unsubscribe everything and remove our publication.
    pub(super) fn end_presence(&mut self) {
        let ids: Vec<SubscriptionRef> = self.subscriptions.keys().copied().collect();
        for id in ids {
            let _ = self.unsubscribe(self.ctx.now, id);
        }
        if let Some(publication) = self.publication.as_mut() {
            publication.ending = true;
            if publication.etag.is_some() && self.registered {
                self.send_publish(false);
            } else {
                self.publication = None;
            }
        }
        self.ctx.timers.cancel(&TimerKey::Publication);
    }
}
