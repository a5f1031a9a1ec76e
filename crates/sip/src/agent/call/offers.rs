//! Offers in an established call: re-INVITE and UPDATE both ways, glare with 491 and the
//! RFC 3261 §14.1 retry delays, and target refresh after a reconnect.

use super::{OFFER_TIMEOUT, OfferIn, OfferOut, Phase, ack_request, allows};
use crate::Millis;
use crate::agent::context::{CallTimer, TimerKey};
use crate::agent::events::{CallEnd, CallRef, Event};
use crate::agent::transactions::{Owner, TxId};
use crate::agent::{CommandError, UserAgent};
use crate::headers::CSeq;
use crate::message::{HeaderName, Method, Request, Response};

impl UserAgent {
    /// Whether an offer of `call` is in progress either way (ours awaiting its answer or a glare
    /// retry, theirs awaiting ours): [`UserAgent::reoffer`] would refuse a new one now. False
    /// for a call that is not established.
    pub fn offer_in_progress(&self, call: CallRef) -> bool {
        self.calls
            .get(&call)
            .filter(|c| !c.ended && c.phase == Phase::Confirmed)
            .is_some_and(|state| state.offer_out.is_some() || state.offer_in.is_some() || state.glare_sdp.is_some())
    }

    /// Sends a new offer in an established call (hold, resume, new media).
    pub fn reoffer(&mut self, now: Millis, call: CallRef, sdp: String) -> Result<(), CommandError> {
        self.ctx.now = now;
        let state = self.calls.get(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        if state.phase != Phase::Confirmed {
            return Err(CommandError::WrongState("the call is not established"));
        }
        if state.offer_out.is_some() || state.offer_in.is_some() || state.glare_sdp.is_some() {
            return Err(CommandError::WrongState("another offer is in progress"));
        }
        if let Some(state) = self.calls.get_mut(&call) {
            state.glare_retries = 0;
        }
        self.send_reinvite(call, Some(sdp));
        self.dispatch();
        Ok(())
    }

    /// Answers the other side's offer ([`Event::RemoteOffer`]) with the application's SDP (or,
    /// when they asked for our offer, sends it).
    pub fn accept_offer(&mut self, now: Millis, call: CallRef, sdp: String) -> Result<(), CommandError> {
        self.ctx.now = now;
        let state = self.calls.get_mut(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        let Some(offer) = state.offer_in.take() else {
            return Err(CommandError::WrongState("no offer is waiting for an answer"));
        };
        self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::OfferTimeout));
        let Some(state) = self.calls.get_mut(&call) else { return Err(CommandError::NoSuchCall) };
        let Some(dialog) = state.dialog.as_ref() else { return Err(CommandError::WrongState("no dialog")) };
        let mut ok = Response::to_request(&offer.request, 200, Some(&dialog.local_tag));
        state.local_sdp = Some(sdp.clone());
        state.offer_in_2xx = offer.request.body.is_empty();
        ok.headers.push(HeaderName::Contact, self.ctx.contact());
        let session = self.negotiate_session(&offer.request, &mut ok);
        ok.headers.push(HeaderName::ContentType, "application/sdp");
        ok.body = sdp.into_bytes();
        self.ctx.respond(offer.tx, ok.clone());
        if let Some(state) = self.calls.get_mut(&call) {
            state.session = session.or(state.session);
        }
        if offer.request.method == Method::Invite {
            self.await_ack(call, offer.tx, ok);
        }
        self.schedule_session(call);
        self.dispatch();
        Ok(())
    }

    /// Refuses the other side's offer with 488; the current media session stays.
    pub fn refuse_offer(&mut self, now: Millis, call: CallRef) -> Result<(), CommandError> {
        self.ctx.now = now;
        self.calls
            .get(&call)
            .filter(|c| !c.ended && c.offer_in.is_some())
            .ok_or(CommandError::WrongState("no offer is waiting for an answer"))?;
        self.refuse_pending_offer(call, 488);
        self.dispatch();
        Ok(())
    }

    /// Answers a waiting offer with an error status.
    pub(in crate::agent) fn refuse_pending_offer(&mut self, call: CallRef, status: u16) {
        self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::OfferTimeout));
        let Some(state) = self.calls.get_mut(&call) else { return };
        let Some(offer) = state.offer_in.take() else { return };
        let tag = state.local_tag.clone();
        self.ctx.respond(offer.tx, Response::to_request(&offer.request, status, Some(&tag)));
    }

    pub(in crate::agent) fn send_reinvite(&mut self, call: CallRef, sdp: Option<String>) {
        let allows_update = self.calls.get(&call).is_some_and(|c| c.peer_allows_update);
        // Without a new offer, UPDATE refreshes the session (or the target) without touching media.
        let method = if sdp.is_none() && allows_update { Method::Update } else { Method::Invite };
        let sdp = sdp.or_else(|| {
            if method == Method::Invite { self.calls.get(&call).and_then(|c| c.local_sdp.clone()) } else { None }
        });
        let Ok(mut request) = self.in_dialog_request(call, method) else { return };
        request.headers.push(HeaderName::Contact, self.ctx.contact());
        if let Some(session) = self.calls.get(&call).and_then(|c| c.session) {
            let refresher =
                if session.we_refresh == self.calls.get(&call).is_some_and(|c| c.outgoing) { "uac" } else { "uas" };
            request.headers.push(HeaderName::SessionExpires, format!("{};refresher={refresher}", session.interval));
        }
        if let Some(sdp) = &sdp {
            request.headers.push(HeaderName::ContentType, "application/sdp");
            request.body = sdp.clone().into_bytes();
        }
        let tx = self.ctx.send_request(request, Owner::Call(call));
        if let Some(state) = self.calls.get_mut(&call) {
            state.offer_out = Some(OfferOut { tx, sdp });
        }
    }

    /// After a reconnect our Contact reaches the proxy on a new flow: refresh the remote target
    /// of every established call so that their requests find us.
    pub(in crate::agent) fn refresh_call_targets(&mut self) {
        let ids: Vec<CallRef> = self
            .calls
            .iter()
            .filter(|(_, c)| !c.ended && c.phase == Phase::Confirmed && c.offer_out.is_none() && c.offer_in.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.send_reinvite(id, None);
        }
    }

    pub(in crate::agent) fn on_offer_response(&mut self, call: CallRef, request: &Request, response: Response) {
        let status = response.status;
        if status < 200 {
            return;
        }
        let Some(state) = self.calls.get_mut(&call) else { return };
        let Some(offer) = state.offer_out.take() else { return };
        if status != 491 {
            state.glare_retries = 0;
        }
        if status < 300 {
            if let Some(dialog) = state.dialog.as_mut() {
                dialog.refresh_target(&response);
            }
            if request.method == Method::Invite {
                let number =
                    request.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok()).map_or(0, |c| c.number);
                let via = self.ctx.via();
                let Some(state) = self.calls.get_mut(&call) else { return };
                if let Some(dialog) = state.dialog.as_mut() {
                    let ack = ack_request(dialog, number, via).to_bytes();
                    state.ack = ack.as_ref().ok().cloned();
                    self.ctx.send_serialized(ack);
                }
            }
            let Some(state) = self.calls.get_mut(&call) else { return };
            if let Some(sdp) = &offer.sdp {
                state.local_sdp = Some(sdp.clone());
            }
            let carried_offer = !request.body.is_empty();
            if carried_offer && !state.ended {
                let sdp = (!response.body.is_empty()).then(|| String::from_utf8_lossy(&response.body).into_owned());
                self.ctx.event(Event::OfferAnswered { call, sdp });
            }
            self.session_from_answer(call, &response);
            if self.calls.get(&call).is_some_and(|c| c.session.is_some()) {
                self.schedule_session(call);
            }
            return;
        }
        match status {
            491 if state.glare_retries >= super::MAX_GLARE_RETRIES => {
                // A peer that answers every offer with 491 is refusing it, not racing us.
                state.glare_retries = 0;
                if offer.sdp.is_some() {
                    self.ctx.event(Event::OfferRefused { call, status });
                }
            }
            491 => {
                // RFC 3261 §14.1: the owner of the Call-ID waits 2.1–4 s, the other side 0–2 s.
                state.glare_retries += 1;
                let delay =
                    if state.outgoing { 2100 + self.ctx.random.below(1901) } else { self.ctx.random.below(2001) };
                let Some(state) = self.calls.get_mut(&call) else { return };
                if let Some(sdp) = offer.sdp {
                    state.glare_sdp = Some(sdp);
                }
                self.ctx.timers.set(TimerKey::Call(call, CallTimer::GlareRetry), self.ctx.now + delay);
            }
            408 | 481 => {
                // RFC 3261 §12.2.1.2: the dialog is gone.
                self.send_bye(call);
                let reason = if status == 408 { CallEnd::Timeout } else { CallEnd::HungUpThere };
                self.end_call(call, reason);
            }
            _ if offer.sdp.is_some() => self.ctx.event(Event::OfferRefused { call, status }),
            _ => {}
        }
    }

    pub(in crate::agent) fn on_remote_offer(&mut self, call: CallRef, tx: TxId, request: Request) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        let tag = state.local_tag.clone();
        let respond = |ua: &mut UserAgent, response: Response| ua.ctx.respond(tx, response);
        if state.phase != Phase::Confirmed {
            let mut pending = Response::to_request(&request, 491, Some(&tag));
            if request.method == Method::Update && state.phase == Phase::Ringing {
                pending = Response::to_request(&request, 500, Some(&tag));
                pending.headers.push(HeaderName::RetryAfter, "1");
            }
            return respond(self, pending);
        }
        if state.offer_out.is_some() {
            // Glare (RFC 3261 §14.2): both sent an offer; theirs gets 491 and both retry later.
            return respond(self, Response::to_request(&request, 491, Some(&tag)));
        }
        if state.offer_in.is_some() {
            let mut busy = Response::to_request(&request, 500, Some(&tag));
            let wait = self.ctx.random.below(10);
            busy.headers.push(HeaderName::RetryAfter, wait.to_string());
            return respond(self, busy);
        }
        state.peer_allows_update |= allows(&request.headers, "UPDATE");
        if request.body.is_empty() && request.method == Method::Update {
            // A session or target refresh without media: answer at once with our timer terms.
            let mut ok = Response::to_request(&request, 200, Some(&tag));
            ok.headers.push(HeaderName::Contact, self.ctx.contact());
            let session = self.negotiate_session(&request, &mut ok);
            respond(self, ok);
            if let Some(state) = self.calls.get_mut(&call) {
                state.session = session.or(state.session);
            }
            self.schedule_session(call);
            return;
        }
        let sdp = (!request.body.is_empty()).then(|| String::from_utf8_lossy(&request.body).into_owned());
        if let Some(state) = self.calls.get_mut(&call) {
            state.offer_in = Some(OfferIn { tx, request });
        }
        self.ctx.timers.set(TimerKey::Call(call, CallTimer::OfferTimeout), self.ctx.now + OFFER_TIMEOUT);
        self.ctx.event(Event::RemoteOffer { call, sdp });
    }
}
