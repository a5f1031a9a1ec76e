//! Presence and busy lamp: SUBSCRIBE/NOTIFY for `presence` and `dialog` (RFC 6665, RFC 3856,
//! RFC 4235) and PUBLISH of our own state (RFC 3903).

use super::context::TimerKey;
use super::dialog::Dialog;
use super::events::{Event, SubscriptionRef};
use super::transactions::{Notice, Owner, TxId};
use super::{CommandError, UserAgent};
use crate::Millis;
use crate::body::{DialogInfo, Presence, PresenceState, pidf_document};
use crate::headers::{parse_number, value_with_params};
use crate::message::{HeaderName, Method, Request, Response, Uri};

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
}

/// Retry a subscription that failed for a reason that may pass after this long.
const RESUBSCRIBE_AFTER: u64 = 30_000;

impl UserAgent {
    /// Watches `target`'s presence or call state; NOTIFYs come as [`Event::Presence`] or
    /// [`Event::LineState`]. Sent once registered, and again after every reconnect.
    pub fn subscribe(&mut self, now: Millis, target: &str, package: Package) -> Result<SubscriptionRef, CommandError> {
        self.ctx.now = now;
        let target = self.target(target)?;
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
        });
        publication.state = state;
        publication.note = note.map(str::to_owned);
        publication.ending = false;
        if self.registered {
            self.send_publish(true);
        }
        self.dispatch();
    }

    fn send_subscribe(&mut self, id: SubscriptionRef) {
        let via = self.ctx.via();
        let expires = self.ctx.config.subscribe_expires;
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
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
            Notice::Response { request, response, .. } => self.on_subscribe_response(id, &request, &response),
            Notice::Failed { .. } if self.subscriptions.get(&id).is_some_and(|s| !s.ending) => {
                self.restart_subscription(id, RESUBSCRIBE_AFTER);
            }
            _ => {}
        }
        self.forget_ended_subscriptions();
    }

    fn on_subscribe_response(&mut self, id: SubscriptionRef, request: &Request, response: &Response) {
        let Some(state) = self.subscriptions.get_mut(&id) else { return };
        let status = response.status;
        if status < 200 {
            return;
        }
        if status < 300 {
            if state.dialog.is_none() {
                state.dialog = Dialog::as_uac(request, response);
            }
            if state.ending {
                return;
            }
            let granted = response
                .headers
                .get(&HeaderName::Expires)
                .and_then(|v| parse_number(v).ok())
                .unwrap_or(self.ctx.config.subscribe_expires);
            let refresh = u64::from(granted) * 900;
            self.ctx.timers.set(TimerKey::Subscription(id), self.ctx.now + refresh.max(5_000));
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
                match self.ctx.answer_challenge(request, response, cseq) {
                    Ok(retry) => {
                        self.ctx.send_request(retry, Owner::Subscription(id));
                    }
                    Err(_) => self.subscription_ended(id, status.to_string()),
                }
            }
            _ if ending => {}
            481 => self.restart_subscription(id, 0),
            423 => {
                let minimum = response.headers.get(&HeaderName::MinExpires).and_then(|v| parse_number(v).ok());
                if let Some(minimum) = minimum.filter(|m| *m <= 86_400) {
                    self.ctx.config.subscribe_expires = minimum;
                    self.restart_subscription(id, 0);
                } else {
                    self.subscription_ended(id, status.to_string());
                }
            }
            408 | 480 | 500..=599 => self.restart_subscription(id, RESUBSCRIBE_AFTER),
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
                let retry = params.get("retry-after").flatten().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                self.restart_subscription(id, retry.min(3600) * 1000);
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

    pub(super) fn refresh_publication(&mut self) {
        if self.registered && self.publication.as_ref().is_some_and(|p| p.etag.is_some() && !p.ending) {
            self.send_publish(false);
        }
    }

    pub(super) fn on_publication_notice(&mut self, notice: Notice) {
        let (request, response) = match notice {
            Notice::Response { request, response, .. } => (request, response),
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
                let granted = response
                    .headers
                    .get(&HeaderName::Expires)
                    .and_then(|v| parse_number(v).ok())
                    .unwrap_or(self.ctx.config.publish_expires);
                self.ctx.timers.set(TimerKey::Publication, self.ctx.now + (u64::from(granted) * 900).max(5_000));
                if !request.body.is_empty() {
                    self.ctx.event(Event::Published);
                }
            }
            401 | 407 if !publication.ending => {
                publication.cseq += 1;
                let cseq = publication.cseq;
                match self.ctx.answer_challenge(&request, &response, cseq) {
                    Ok(retry) => {
                        self.ctx.send_request(retry, Owner::Publication);
                    }
                    Err(_) => self.ctx.event(Event::PublishFailed { status }),
                }
            }
            // RFC 3903 §6.2: the server lost our entity tag; publish the whole state again.
            412 if !publication.ending => {
                publication.etag = None;
                self.send_publish(true);
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
