//! Incoming calls: ringing, answering, rejecting, CANCEL from the caller, the ACK of our 2xx
//! (or a request that overtakes it), and INVITE with Replaces (RFC 3891).

use super::{Call, Phase, RING_TIMEOUT, Unacked, allows, dialog_response};
use crate::Millis;
use crate::agent::context::{CallTimer, TimerKey};
use crate::agent::dialog::{Dialog, party_of};
use crate::agent::events::{CallEnd, CallRef, Event, Party};
use crate::agent::transactions::{Owner, TxId};
use crate::agent::{CommandError, TransportKind, UserAgent};
use crate::headers::{CSeq, NameAddr, value_with_params};
use crate::message::{HeaderName, Request, Response};

impl UserAgent {
    /// Answers an incoming call with the application's SDP.
    pub fn answer(&mut self, now: Millis, call: CallRef, sdp: String) -> Result<(), CommandError> {
        self.ctx.now = now;
        let state = self.calls.get(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        let tx = state.invite_tx.filter(|tx| state.phase == Phase::Ringing && self.ctx.transactions.is_proceeding(*tx));
        let (Some(tx), Some(invite)) = (tx, state.invite.clone()) else {
            return Err(CommandError::WrongState("only a ringing incoming call can be answered"));
        };
        let offer_in_2xx = invite.body.is_empty();
        let mut ok = dialog_response(&invite, 200, &state.local_tag);
        ok.headers.push(HeaderName::Contact, self.ctx.contact());
        self.describe_dialog_capabilities(&mut ok.headers);
        let session = self.negotiate_session(&invite, &mut ok);
        ok.headers.push(HeaderName::ContentType, "application/sdp");
        ok.body = sdp.clone().into_bytes();
        self.ctx.respond(tx, ok.clone());
        self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::NoAnswer));
        if let Some(state) = self.calls.get_mut(&call) {
            state.phase = Phase::Answered;
            state.local_sdp = Some(sdp);
            state.session = session;
            state.offer_in_2xx = offer_in_2xx;
        }
        self.await_ack(call, tx, ok);
        self.dispatch();
        Ok(())
    }

    /// Refuses an incoming call with `status` (486 busy, 603 decline, 480 unavailable…).
    pub fn reject(&mut self, now: Millis, call: CallRef, status: u16) -> Result<(), CommandError> {
        self.ctx.now = now;
        if !(300..=699).contains(&status) {
            return Err(CommandError::WrongState("a rejection needs a status from 300 to 699"));
        }
        self.refuse_ringing(call, status, CallEnd::HungUpHere)?;
        self.dispatch();
        Ok(())
    }

    pub(in crate::agent) fn refuse_ringing(
        &mut self,
        call: CallRef,
        status: u16,
        reason: CallEnd,
    ) -> Result<(), CommandError> {
        let state = self.calls.get(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        let tx = state.invite_tx.filter(|tx| state.phase == Phase::Ringing && self.ctx.transactions.is_proceeding(*tx));
        let (Some(tx), Some(invite)) = (tx, state.invite.as_ref()) else {
            return Err(CommandError::WrongState("only a ringing incoming call can be rejected"));
        };
        let response = Response::to_request(invite, status, Some(&state.local_tag));
        self.ctx.respond(tx, response);
        self.end_call(call, reason);
        Ok(())
    }

    pub(in crate::agent) fn on_incoming_invite(&mut self, request: Request) {
        let id = CallRef(self.next_handle());
        let tx = self.ctx.start_server(&request, Owner::Call(id));
        let tag = self.ctx.tag();
        let refuse = |ua: &mut UserAgent, status: u16| {
            let response = Response::to_request(&request, status, Some(&tag));
            ua.ctx.respond(tx, response);
        };
        if self.stopping || !self.registered {
            return refuse(self, 480);
        }
        let replaces = match request.headers.count(&HeaderName::Replaces) {
            0 => None,
            // RFC 3891 §3: more than one Replaces is a bad request.
            1 => match request.headers.get(&HeaderName::Replaces).map(|value| self.replaceable_call(value)) {
                Some(Ok(found)) => Some(found),
                Some(Err(status)) => return refuse(self, status),
                None => None,
            },
            _ => return refuse(self, 400),
        };
        // Only a call that completes a transfer of a call in progress skips the ringing, and it
        // adds no call; every other call counts against the cap.
        let auto_answer = replaces.is_some_and(|(call, confirmed)| confirmed && self.referred_by_peer(&request, call));
        let replaces = replaces.map(|(call, _)| call);
        if !auto_answer && self.live_calls() >= self.ctx.config.max_calls {
            return refuse(self, 486);
        }
        let Some(dialog) = Dialog::as_uas(&request, &tag) else { return refuse(self, 400) };
        let mut call = Call::new(false, Phase::Ringing, dialog.call_id.clone(), tag.clone());
        call.peer_allows_update = allows(&request.headers, "UPDATE");
        call.dialog = Some(dialog);
        call.invite = Some(request.clone());
        call.invite_tx = Some(tx);
        call.replaces = replaces;
        self.calls.insert(id, call);
        self.ctx.timers.set(TimerKey::Call(id, CallTimer::NoAnswer), self.ctx.now + RING_TIMEOUT);
        let mut ringing = dialog_response(&request, 180, &tag);
        ringing.headers.push(HeaderName::Contact, self.ctx.contact());
        self.ctx.respond(tx, ringing);
        let party = |name: &HeaderName| request.headers.get(name).map(party_of);
        let sdp = (!request.body.is_empty()).then(|| String::from_utf8_lossy(&request.body).into_owned());
        self.ctx.event(Event::Incoming {
            call: id,
            from: party(&HeaderName::From).unwrap_or(Party { uri: String::new(), display_name: None }),
            to: party(&HeaderName::To).unwrap_or(Party { uri: String::new(), display_name: None }),
            sdp,
            replaces,
            auto_answer,
            referred_by: party(&HeaderName::ReferredBy),
        });
    }

    /// The call a Replaces header names (RFC 3891 §3: its tags as the recipient sees them),
    /// and whether it is confirmed; or the status that refuses the INVITE. Only a confirmed
    /// dialog, or an early dialog that we initiated, may be replaced: a caller must not be able
    /// to answer its own ringing call (or anyone else's) by naming it.
    pub(in crate::agent) fn replaceable_call(&self, value: &[u8]) -> Result<(CallRef, bool), u16> {
        let (call_id, params) = value_with_params(value).map_err(|_| 400u16)?;
        let (Some(to_tag), Some(from_tag)) = (params.get("to-tag").flatten(), params.get("from-tag").flatten()) else {
            return Err(400);
        };
        let (id, call) = self
            .calls
            .iter()
            .find(|(_, c)| {
                !c.ended && c.dialog.as_ref().is_some_and(|d| d.matches(call_id.as_bytes(), to_tag, Some(from_tag)))
            })
            .ok_or(481u16)?;
        match call.phase {
            // RFC 3891 §3: early-only asks not to replace a confirmed dialog.
            Phase::Confirmed if params.get("early-only").is_some() => Err(486),
            Phase::Confirmed => Ok((*id, true)),
            Phase::Dialing if call.outgoing => Ok((*id, false)),
            _ => Err(481),
        }
    }

    /// Whether `request` completes a transfer that the other party of `replaced` asked for: its
    /// Referred-By (RFC 3892) names that party, as in an attended transfer, where the party we
    /// were consulted by sends its caller to us. Anyone else replacing a call of ours rings.
    fn referred_by_peer(&self, request: &Request, replaced: CallRef) -> bool {
        let address = |value: &[u8]| NameAddr::parse(value).ok().map(|name_addr| name_addr.uri);
        let referrer = request.headers.get(&HeaderName::ReferredBy).and_then(address);
        let peer = self
            .calls
            .get(&replaced)
            .and_then(|call| call.dialog.as_ref())
            .and_then(|d| address(d.remote_uri.as_bytes()));
        match (referrer, peer) {
            (Some(referrer), Some(peer)) => {
                referrer.user == peer.user && referrer.host.eq_ignore_ascii_case(&peer.host) && referrer.user.is_some()
            }
            _ => false,
        }
    }

    /// Calls that are ringing, being placed or in progress.
    pub(in crate::agent) fn live_calls(&self) -> usize {
        self.calls.values().filter(|c| !c.ended).count()
    }

    /// Ends the call a new one replaced: BYE when it was confirmed, CANCEL when it was still
    /// an early dialog we initiated.
    fn end_replaced(&mut self, old: CallRef) {
        match self.calls.get_mut(&old).filter(|c| !c.ended) {
            Some(state) if state.phase == Phase::Dialing => {
                state.cancel_wanted = true;
                self.send_cancel_when_allowed(old);
            }
            Some(_) => self.send_bye(old),
            None => return,
        }
        self.end_call(old, CallEnd::Replaced);
    }

    pub(in crate::agent) fn on_cancel(&mut self, cancel: Request) {
        let found = self.ctx.transactions.cancelled_by(&cancel);
        let tx = self.ctx.start_server(&cancel, Owner::Agent);
        let Some((invite_tx, owner)) = found else {
            return self.ctx.respond(tx, Response::to_request(&cancel, 481, None));
        };
        self.ctx.respond(tx, Response::to_request(&cancel, 200, None));
        let Owner::Call(call) = owner else { return };
        let Some(state) = self.calls.get(&call).filter(|c| c.phase == Phase::Ringing && !c.ended) else { return };
        let Some(invite) = state.invite.as_ref() else { return };
        let terminated = Response::to_request(invite, 487, Some(&state.local_tag));
        self.ctx.respond(invite_tx, terminated);
        // RFC 3326: "cause=200" means another device of ours answered.
        let elsewhere = cancel.headers.all(&HeaderName::Reason).any(|r| {
            let text = String::from_utf8_lossy(r).to_ascii_lowercase();
            text.contains("cause=200")
        });
        self.end_call(call, if elsewhere { CallEnd::AnsweredElsewhere } else { CallEnd::CallerCancelled });
    }

    /// An ACK for a 2xx, outside any transaction.
    pub(in crate::agent) fn on_dialog_ack(&mut self, ack: Request) {
        if let Some(call) = self.call_of(&ack) {
            self.on_ack(call, ack);
        }
    }

    pub(in crate::agent) fn on_ack(&mut self, call: CallRef, ack: Request) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        let Some(unacked) = state.unacked.as_ref() else { return };
        let acked = CSeq::parse(ack.headers.get(&HeaderName::CSeq).unwrap_or_default()).ok().map(|c| c.number);
        let answered = unacked.response.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok());
        if acked != answered.map(|c| c.number) {
            return;
        }
        let sdp = (state.offer_in_2xx && !ack.body.is_empty()).then(|| String::from_utf8_lossy(&ack.body).into_owned());
        self.acknowledged(call, sdp);
    }

    /// Our 2xx is acknowledged (by its ACK, or by a later request of the other side, which
    /// proves the 2xx arrived even when the ACK is late or lost).
    pub(in crate::agent) fn acknowledged(&mut self, call: CallRef, sdp: Option<String>) {
        for timer in [CallTimer::Retransmit2xx, CallTimer::AckTimeout] {
            self.ctx.timers.cancel(&TimerKey::Call(call, timer));
        }
        let Some(state) = self.calls.get_mut(&call) else { return };
        state.unacked = None;
        if state.ended {
            return;
        }
        if state.phase == Phase::Answered {
            state.phase = Phase::Confirmed;
            let replaced = state.replaces;
            self.ctx.event(Event::Established { call, sdp });
            self.schedule_session(call);
            if let Some(old) = replaced {
                self.end_replaced(old);
            }
        } else if sdp.is_some() {
            self.ctx.event(Event::OfferAnswered { call, sdp });
        }
    }

    /// Starts retransmitting our 2xx (UDP) and waiting for its ACK.
    pub(in crate::agent) fn await_ack(&mut self, call: CallRef, tx: TxId, response: Response) {
        let t1 = self.ctx.config.timers.t1;
        let now = self.ctx.now;
        if let Some(state) = self.calls.get_mut(&call) {
            state.unacked = Some(Unacked { tx, response, interval: t1 });
        }
        if self.ctx.transport() == TransportKind::Udp {
            self.ctx.timers.set(TimerKey::Call(call, CallTimer::Retransmit2xx), now + t1);
        }
        self.ctx.timers.set(TimerKey::Call(call, CallTimer::AckTimeout), now + t1 * 64);
    }
}
