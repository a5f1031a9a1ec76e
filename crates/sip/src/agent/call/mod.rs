//! Calls: outgoing and incoming INVITE, CANCEL, BYE, re-INVITE and UPDATE offers with glare
//! handling (RFC 3261 §14), session timers (RFC 4028) and DTMF by INFO.

use super::context::{CallTimer, TimerKey};
use super::dialog::Dialog;
use super::events::{CallEnd, CallRef, Event, RejectKind};
use super::transactions::{Notice, Owner, TxId};
use super::{CommandError, UserAgent, reason_text, to_tag};
use crate::Millis;
use crate::body::{Dtmf, DtmfRelay};
use crate::headers::{CSeq, NameAddr, value_with_params};
use crate::message::{HeaderName, Method, Request, Response, Uri};
use crate::transaction::Failure;

mod dtmf;
mod incoming;
mod offers;
mod session_timer;
mod take_over;

pub use take_over::MovableCall;

/// How long a call may ring before the agent gives up (both directions).
const RING_TIMEOUT: u64 = 180_000;
/// How long the application may take to answer an offer in a confirmed call.
const OFFER_TIMEOUT: u64 = 32_000;
/// How many times in a row one offer is sent again after 491 before it is reported refused.
const MAX_GLARE_RETRIES: u32 = 3;
/// The largest Min-SE (RFC 4028 §6) a 422 may ask of our INVITE; a larger one ends the call.
pub const MAX_MIN_SE: u32 = 7_200;

/// Where a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Outgoing, waiting for the application's offer (a call made for a transfer).
    AwaitingOffer,
    /// Outgoing, INVITE sent.
    Dialing,
    /// Incoming, ringing.
    Ringing,
    /// Incoming, our 2xx sent, waiting for the ACK.
    Answered,
    /// The dialog is confirmed.
    Confirmed,
}

/// An offer we sent in a confirmed dialog.
#[derive(Debug)]
pub(super) struct OfferOut {
    pub tx: TxId,
    /// The SDP offered (none: a session refresh or target refresh by UPDATE).
    pub sdp: Option<String>,
}

/// An offer the other side sent, waiting for the application's answer.
#[derive(Debug)]
pub(super) struct OfferIn {
    pub tx: TxId,
    pub request: Request,
}

/// Our 2xx to an INVITE, sent again over UDP until the ACK arrives.
#[derive(Debug)]
pub(super) struct Unacked {
    pub tx: TxId,
    pub response: Response,
    pub interval: u64,
}

/// RFC 4028 state.
#[derive(Clone, Copy, Debug)]
pub(super) struct SessionTimer {
    pub interval: u32,
    pub we_refresh: bool,
}

/// One call.
#[derive(Debug)]
pub(super) struct Call {
    pub outgoing: bool,
    pub phase: Phase,
    pub call_id: String,
    pub local_tag: String,
    pub dialog: Option<Dialog>,
    /// Outgoing: where to, and extra headers for the INVITE (Replaces, Referred-By).
    pub target: Option<Uri>,
    pub extra_headers: Vec<(HeaderName, String)>,
    /// Outgoing: the last INVITE sent. Incoming: the INVITE received.
    pub invite: Option<Request>,
    pub invite_tx: Option<TxId>,
    pub provisional_seen: bool,
    pub cancel_wanted: bool,
    pub cancel_sent: bool,
    pub ended: bool,
    /// Our last ACK for a 2xx, sent again when the 2xx is retransmitted.
    pub ack: Option<Vec<u8>>,
    pub unacked: Option<Unacked>,
    pub offer_out: Option<OfferOut>,
    pub offer_in: Option<OfferIn>,
    pub glare_sdp: Option<String>,
    pub local_sdp: Option<String>,
    pub session: Option<SessionTimer>,
    pub peer_allows_update: bool,
    /// Incoming: the call this one replaces (RFC 3891).
    pub replaces: Option<CallRef>,
    /// Outgoing: the call whose REFER made us place this one, told of our progress.
    pub referred_from: Option<CallRef>,
    /// A REFER we sent and have no final result for.
    pub refer_pending: bool,
    /// Our offer was in the 2xx (the INVITE had none): the answer comes in the ACK.
    pub offer_in_2xx: bool,
    /// Outgoing: the INVITE was sent again after a 422 (once per call, never twice).
    pub session_interval_raised: bool,
    /// 491s in a row for our current offer.
    pub glare_retries: u32,
    /// DTMF digits waiting for the INFO before them to be answered, so that they arrive in order.
    pub dtmf_queue: std::collections::VecDeque<DtmfRelay>,
    pub dtmf_tx: Option<TxId>,
}

impl Call {
    fn new(outgoing: bool, phase: Phase, call_id: String, local_tag: String) -> Call {
        Call {
            outgoing,
            phase,
            call_id,
            local_tag,
            dialog: None,
            target: None,
            extra_headers: Vec::new(),
            invite: None,
            invite_tx: None,
            provisional_seen: false,
            cancel_wanted: false,
            cancel_sent: false,
            ended: false,
            ack: None,
            unacked: None,
            offer_out: None,
            offer_in: None,
            glare_sdp: None,
            local_sdp: None,
            session: None,
            peer_allows_update: false,
            replaces: None,
            referred_from: None,
            refer_pending: false,
            offer_in_2xx: false,
            session_interval_raised: false,
            glare_retries: 0,
            dtmf_queue: std::collections::VecDeque::new(),
            dtmf_tx: None,
        }
    }

    /// Whether a request with these identifiers belongs to this call.
    pub(super) fn belongs(&self, call_id: &[u8], local_tag: &str, remote_tag: Option<&str>) -> bool {
        match &self.dialog {
            Some(dialog) => dialog.matches(call_id, local_tag, remote_tag),
            None => self.call_id.as_bytes() == call_id && self.local_tag == local_tag,
        }
    }
}

impl UserAgent {
    /// Calls `target` (a number or a SIP URI) with the application's SDP offer.
    pub fn call(&mut self, now: Millis, target: &str, sdp: String) -> Result<CallRef, CommandError> {
        self.ctx.now = now;
        let uri = self.target(target)?;
        if self.ctx.flow().is_none() || self.stopping {
            return Err(CommandError::Offline);
        }
        if self.live_calls() >= self.ctx.config.max_calls {
            return Err(CommandError::TooManyCalls(self.ctx.config.max_calls));
        }
        let id = self.new_outgoing(uri, Vec::new());
        self.send_invite(id, sdp);
        self.dispatch();
        Ok(id)
    }

    /// Sends the INVITE of a call the agent created for a transfer ([`Event::Transferring`]).
    pub fn send_offer(&mut self, now: Millis, call: CallRef, sdp: String) -> Result<(), CommandError> {
        self.ctx.now = now;
        let state = self.calls.get(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        if state.phase != Phase::AwaitingOffer {
            return Err(CommandError::WrongState("the call already has its offer"));
        }
        self.send_invite(call, sdp);
        self.dispatch();
        Ok(())
    }

    pub(super) fn new_outgoing(&mut self, target: Uri, extra_headers: Vec<(HeaderName, String)>) -> CallRef {
        let id = CallRef(self.next_handle());
        let mut call = Call::new(true, Phase::AwaitingOffer, self.ctx.token(), self.ctx.tag());
        call.target = Some(target);
        call.extra_headers = extra_headers;
        self.calls.insert(id, call);
        id
    }

    fn send_invite(&mut self, id: CallRef, sdp: String) {
        let Some(call) = self.calls.get(&id) else { return };
        let Some(target) = call.target.clone() else { return };
        let (call_id, tag, extra) = (call.call_id.clone(), call.local_tag.clone(), call.extra_headers.clone());
        let mut invite = self.ctx.new_request(Method::Invite, &target, &call_id, &tag, 1);
        invite.headers.push(HeaderName::Contact, self.ctx.contact());
        self.describe_dialog_capabilities(&mut invite.headers);
        if self.ctx.config.session_expires > 0 {
            invite.headers.push(HeaderName::SessionExpires, self.ctx.config.session_expires.to_string());
            invite.headers.push(HeaderName::MinSe, "90");
        }
        for (name, value) in extra {
            invite.headers.push(name, value);
        }
        invite.headers.push(HeaderName::ContentType, "application/sdp");
        invite.body = sdp.clone().into_bytes();
        self.ctx.authorize_in_advance(&mut invite);
        let tx = self.ctx.send_request(invite.clone(), Owner::Call(id));
        self.ctx.timers.set(TimerKey::Call(id, CallTimer::NoAnswer), self.ctx.now + RING_TIMEOUT);
        if let Some(call) = self.calls.get_mut(&id) {
            call.phase = Phase::Dialing;
            call.local_sdp = Some(sdp);
            call.invite = Some(invite);
            call.invite_tx = Some(tx);
        }
    }

    /// Allow and Supported for requests and responses that set up a dialog.
    fn describe_dialog_capabilities(&self, headers: &mut crate::message::Headers) {
        let allow: Vec<String> = crate::validate::SOFTPHONE_METHODS.iter().map(ToString::to_string).collect();
        headers.push(HeaderName::Allow, allow.join(", "));
        headers.push(HeaderName::Supported, "replaces, timer");
    }

    /// Ends a call whatever its state: CANCEL while dialling, decline (603) while ringing, BYE
    /// once answered.
    pub fn hang_up(&mut self, now: Millis, call: CallRef) -> Result<(), CommandError> {
        self.ctx.now = now;
        let state = self.calls.get_mut(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        match state.phase {
            Phase::AwaitingOffer => {}
            Phase::Dialing => {
                state.cancel_wanted = true;
                self.send_cancel_when_allowed(call);
            }
            Phase::Ringing => {
                self.refuse_ringing(call, 603, CallEnd::HungUpHere)?;
            }
            Phase::Answered | Phase::Confirmed => self.send_bye(call),
        }
        self.end_call(call, CallEnd::HungUpHere);
        self.dispatch();
        Ok(())
    }

    /// A new request in an established call's dialog (also in an ended one, for its BYE).
    pub(super) fn in_dialog_request(&mut self, call: CallRef, method: Method) -> Result<Request, CommandError> {
        let via = self.ctx.via();
        let state = self.calls.get_mut(&call).ok_or(CommandError::NoSuchCall)?;
        match (&mut state.dialog, state.phase) {
            (Some(dialog), Phase::Confirmed | Phase::Answered) => Ok(dialog.request(method, via)),
            _ => Err(CommandError::WrongState("the call is not established")),
        }
    }

    pub(super) fn send_bye(&mut self, call: CallRef) {
        if let Some(state) = self.calls.get_mut(&call) {
            state.unacked = None;
        }
        for timer in [CallTimer::Retransmit2xx, CallTimer::AckTimeout] {
            self.ctx.timers.cancel(&TimerKey::Call(call, timer));
        }
        if let Ok(bye) = self.in_dialog_request(call, Method::Bye) {
            self.ctx.send_request(bye, Owner::Call(call));
        }
    }

    /// RFC 3261 §9.1: a CANCEL may only follow a provisional response.
    fn send_cancel_when_allowed(&mut self, call: CallRef) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        if !state.cancel_wanted || state.cancel_sent || !state.provisional_seen || state.invite_tx.is_none() {
            return;
        }
        let Some(invite) = state.invite.as_ref() else { return };
        state.cancel_sent = true;
        let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
        for name in [
            HeaderName::Via,
            HeaderName::MaxForwards,
            HeaderName::Route,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
        ] {
            for value in invite.headers.all(&name) {
                cancel.headers.push(name.clone(), value.to_vec());
            }
        }
        let number = invite.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok()).map_or(1, |c| c.number);
        cancel.headers.push(HeaderName::CSeq, format!("{number} CANCEL"));
        self.ctx.send_request(cancel, Owner::Call(call));
    }

    /// Reports the end once and stops the call's timers.
    pub(super) fn end_call(&mut self, call: CallRef, reason: CallEnd) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        if state.ended {
            return;
        }
        state.ended = true;
        state.glare_sdp = None;
        self.refuse_pending_offer(call, 487);
        let Some(state) = self.calls.get_mut(&call) else { return };
        let referred_from = state.referred_from;
        let established = state.phase == Phase::Confirmed;
        self.ctx.timers.cancel_where(
            |key| matches!(key, TimerKey::Call(id, timer) if *id == call && *timer != CallTimer::Retransmit2xx),
        );
        if let Some(transferor) = referred_from
            && !established
        {
            let status = match &reason {
                CallEnd::Rejected { status, .. } => *status,
                CallEnd::Timeout => 408,
                _ => 487,
            };
            self.notify_transferor(transferor, status);
        }
        self.ctx.event(Event::Ended { call, reason });
    }

    /// Forgets ended calls once their last transaction is over.
    pub(super) fn forget_finished_calls(&mut self) {
        let finished: Vec<CallRef> = self
            .calls
            .iter()
            .filter(|(id, c)| c.ended && c.unacked.is_none() && !self.ctx.transactions.owned_by(Owner::Call(**id)))
            .map(|(id, _)| *id)
            .collect();
        for id in finished {
            self.calls.remove(&id);
            self.ctx.timers.cancel_where(|key| matches!(key, TimerKey::Call(call, _) if *call == id));
        }
    }

    /// The call a request with a To tag belongs to.
    pub(super) fn call_of(&self, request: &Request) -> Option<CallRef> {
        let call_id = request.headers.get(&HeaderName::CallId)?;
        let local = to_tag(request)?;
        let remote = NameAddr::parse(request.headers.get(&HeaderName::From)?).ok()?;
        self.calls.iter().find(|(_, c)| c.belongs(call_id, &local, remote.tag())).map(|(id, _)| *id)
    }

    pub(super) fn on_call_timer(&mut self, call: CallRef, timer: CallTimer) {
        let now = self.ctx.now;
        match timer {
            CallTimer::Retransmit2xx => {
                let t2 = self.ctx.config.timers.t2;
                let Some(unacked) = self.calls.get_mut(&call).and_then(|c| c.unacked.as_mut()) else { return };
                unacked.interval = (unacked.interval * 2).min(t2);
                let (tx, response, next) = (unacked.tx, unacked.response.clone(), unacked.interval);
                self.ctx.respond(tx, response);
                self.ctx.timers.set(TimerKey::Call(call, CallTimer::Retransmit2xx), now + next);
            }
            CallTimer::AckTimeout => {
                self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::Retransmit2xx));
                let Some(state) = self.calls.get_mut(&call) else { return };
                state.unacked = None;
                // RFC 3261 §13.3.1.4: no ACK, so the session ends with a BYE.
                if !state.ended {
                    self.send_bye(call);
                    self.end_call(call, CallEnd::Timeout);
                }
            }
            CallTimer::GlareRetry => {
                let sdp = self.calls.get_mut(&call).and_then(|c| c.glare_sdp.take());
                let busy =
                    self.calls.get(&call).is_none_or(|c| c.ended || c.offer_out.is_some() || c.offer_in.is_some());
                if let Some(sdp) = sdp {
                    if busy {
                        // The other side's offer came first; ours waits for another turn.
                        if let Some(state) = self.calls.get_mut(&call) {
                            state.glare_sdp = Some(sdp);
                        }
                        self.ctx.timers.set(TimerKey::Call(call, CallTimer::GlareRetry), now + 1000);
                    } else {
                        self.send_reinvite(call, Some(sdp));
                    }
                }
            }
            CallTimer::SessionRefresh => {
                let idle =
                    self.calls.get(&call).is_some_and(|c| !c.ended && c.offer_out.is_none() && c.offer_in.is_none());
                if idle {
                    self.send_reinvite(call, None);
                } else {
                    self.ctx.timers.set(TimerKey::Call(call, CallTimer::SessionRefresh), now + 2000);
                }
            }
            CallTimer::NoAnswer => match self.calls.get(&call).filter(|c| !c.ended).map(|c| c.phase) {
                Some(Phase::Dialing) => {
                    if let Some(state) = self.calls.get_mut(&call) {
                        state.cancel_wanted = true;
                    }
                    self.send_cancel_when_allowed(call);
                    self.end_call(call, CallEnd::Timeout);
                }
                Some(Phase::Ringing) => {
                    let _ = self.refuse_ringing(call, 480, CallEnd::Timeout);
                }
                _ => {}
            },
            CallTimer::OfferTimeout => self.refuse_pending_offer(call, 500),
            CallTimer::SessionExpiry => {
                if self.calls.get(&call).is_some_and(|c| !c.ended) {
                    self.send_bye(call);
                    self.end_call(call, CallEnd::SessionExpired);
                }
            }
        }
    }

    pub(super) fn on_call_notice(&mut self, call: CallRef, notice: Notice) {
        match notice {
            Notice::Response { tx, request, response, .. } => self.on_call_response(call, tx, *request, response),
            Notice::Ack { ack, .. } => self.on_ack(call, ack),
            Notice::Failed { tx, request, failure, .. } => {
                self.dtmf_answered(call, tx);
                self.on_call_failure(call, tx, &request, failure);
            }
            Notice::Terminated { tx, .. } => {
                self.dtmf_answered(call, tx);
                if let Some(state) = self.calls.get_mut(&call) {
                    if state.invite_tx == Some(tx) {
                        state.invite_tx = None;
                    }
                    if state.unacked.as_ref().is_some_and(|u| u.tx == tx) {
                        // Timer L: the server transaction no longer sends our 2xx.
                        state.unacked = None;
                        self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::Retransmit2xx));
                    }
                }
            }
        }
    }

    fn on_call_response(&mut self, call: CallRef, tx: TxId, request: Request, response: Response) {
        if response.status >= 200 {
            self.dtmf_answered(call, tx);
        }
        let Some(state) = self.calls.get(&call) else { return };
        let is_initial = state.invite_tx == Some(tx) && request.method == Method::Invite;
        let is_offer = state.offer_out.as_ref().is_some_and(|o| o.tx == tx);
        if matches!(response.status, 401 | 407) && !state.ended {
            return self.retry_with_credentials(call, tx, &request, &response, is_initial, is_offer);
        }
        match request.method {
            Method::Invite if is_initial => self.on_invite_response(call, &request, response),
            Method::Invite | Method::Update if is_offer => self.on_offer_response(call, &request, response),
            Method::Invite if response.status / 100 == 2 => {
                // A retransmitted 2xx whose ACK we sent already.
                if let Some(ack) = self.calls.get(&call).and_then(|c| c.ack.clone()) {
                    self.ctx.send_bytes(ack);
                }
            }
            Method::Refer => self.on_refer_response(call, &response),
            _ => {}
        }
    }

    fn retry_with_credentials(
        &mut self,
        call: CallRef,
        tx: TxId,
        request: &Request,
        response: &Response,
        is_initial: bool,
        is_offer: bool,
    ) {
        let cseq = match self.calls.get_mut(&call).and_then(|c| c.dialog.as_mut().filter(|_| !is_initial)) {
            Some(dialog) => {
                dialog.local_cseq += 1;
                dialog.local_cseq
            }
            None => {
                request.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok()).map_or(1, |c| c.number + 1)
            }
        };
        match self.ctx.retry_challenged(tx, request, response, cseq, Owner::Call(call)) {
            Ok((new_tx, retry)) => {
                if let Some(state) = self.calls.get_mut(&call) {
                    if is_initial {
                        state.invite = Some(retry);
                        state.invite_tx = Some(new_tx);
                        state.provisional_seen = false;
                    } else if is_offer && let Some(offer) = state.offer_out.as_mut() {
                        offer.tx = new_tx;
                    }
                }
            }
            Err(_) if is_initial => self.on_invite_response(call, request, response.clone()),
            Err(_) if is_offer => self.on_offer_response(call, request, response.clone()),
            Err(_) => {}
        }
    }

    fn on_invite_response(&mut self, call: CallRef, request: &Request, response: Response) {
        let status = response.status;
        match status {
            100..=199 => {
                let Some(state) = self.calls.get_mut(&call) else { return };
                state.provisional_seen = true;
                if status > 100 && state.dialog.is_none() {
                    state.dialog = Dialog::as_uac(request, &response);
                }
                let (ended, referred_from) = (state.ended, state.referred_from);
                self.send_cancel_when_allowed(call);
                if !ended && status > 100 {
                    let sdp = (!response.body.is_empty()).then(|| String::from_utf8_lossy(&response.body).into_owned());
                    self.ctx.event(Event::Progress { call, status, reason: reason_text(&response), sdp });
                    if let Some(transferor) = referred_from {
                        self.notify_transferor(transferor, status);
                    }
                }
            }
            200..=299 => self.on_invite_accepted(call, request, &response),
            422 => {
                // RFC 4028 §7.4: once per call with the Min-SE asked, when it is sane and larger
                // than what we asked; a second 422 ends the call.
                let minimum = response.headers.get(&HeaderName::MinSe).and_then(|v| value_with_params(v).ok());
                let minimum = minimum.and_then(|(value, _)| value.parse::<u32>().ok());
                let number =
                    request.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok()).map_or(1, |c| c.number);
                let asked = request
                    .headers
                    .get(&HeaderName::SessionExpires)
                    .and_then(|v| value_with_params(v).ok())
                    .and_then(|(value, _)| value.parse::<u32>().ok())
                    .unwrap_or(0);
                let raised = self.calls.get(&call).is_none_or(|c| c.session_interval_raised || c.ended);
                let Some(minimum) = minimum.filter(|m| !raised && *m > asked && *m <= MAX_MIN_SE) else {
                    return self.end_call(call, rejected(&response));
                };
                let mut retry = request.clone();
                retry.headers.set(HeaderName::SessionExpires, minimum.to_string());
                retry.headers.set(HeaderName::MinSe, minimum.to_string());
                retry.headers.set(HeaderName::Via, self.ctx.via());
                retry.headers.set(HeaderName::CSeq, format!("{} INVITE", number + 1));
                let tx = self.ctx.send_request(retry.clone(), Owner::Call(call));
                if let Some(state) = self.calls.get_mut(&call) {
                    state.invite = Some(retry);
                    state.invite_tx = Some(tx);
                    state.session_interval_raised = true;
                }
            }
            _ => self.end_call(call, rejected(&response)),
        }
    }

    fn on_invite_accepted(&mut self, call: CallRef, request: &Request, response: &Response) {
        let Some(dialog) = Dialog::as_uac(request, response) else { return };
        let via = self.ctx.via();
        let number = dialog.local_cseq;
        let Some(state) = self.calls.get_mut(&call) else { return };
        let confirmed = state.phase == Phase::Confirmed || state.ack.is_some();
        if confirmed {
            if state.dialog.as_ref().is_some_and(|d| d.remote_tag == dialog.remote_tag) {
                // A retransmission: our ACK was lost.
                if let Some(ack) = state.ack.clone() {
                    self.ctx.send_bytes(ack);
                }
            } else {
                // A second fork answered too: acknowledge it and hang it up at once.
                let mut extra = dialog;
                let ack = ack_request(&mut extra, number, via);
                self.ctx.send_serialized(ack.to_bytes());
                let bye = extra.request(Method::Bye, self.ctx.via());
                self.ctx.send_request(bye, Owner::Agent);
            }
            return;
        }
        let mut dialog = dialog;
        let ack = ack_request(&mut dialog, number, via);
        let ack = ack.to_bytes();
        state.ack = ack.as_ref().ok().cloned();
        self.ctx.send_serialized(ack);
        state.dialog = Some(dialog);
        state.phase = Phase::Confirmed;
        self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::NoAnswer));
        let Some(state) = self.calls.get_mut(&call) else { return };
        state.peer_allows_update = allows(&response.headers, "UPDATE");
        let (ended, referred_from) = (state.ended, state.referred_from);
        if ended {
            // The 200 crossed our CANCEL: the call was answered after all, so end it properly.
            self.send_bye(call);
            return;
        }
        let sdp = (!response.body.is_empty()).then(|| String::from_utf8_lossy(&response.body).into_owned());
        self.ctx.event(Event::Established { call, sdp });
        self.session_from_answer(call, response);
        if let Some(transferor) = referred_from {
            self.notify_transferor(transferor, response.status);
            if let Some(state) = self.calls.get_mut(&call) {
                state.referred_from = None;
            }
        }
    }

    fn on_call_failure(&mut self, call: CallRef, tx: TxId, request: &Request, failure: Failure) {
        let Some(state) = self.calls.get_mut(&call) else { return };
        if state.invite_tx == Some(tx) && request.method == Method::Invite && state.phase == Phase::Dialing {
            let reason = if failure == Failure::Transport { CallEnd::ConnectionLost } else { CallEnd::Timeout };
            return self.end_call(call, reason);
        }
        if state.invite_tx == Some(tx) && !state.outgoing && state.phase == Phase::Ringing {
            // The flow failed while ringing: the caller cannot be answered.
            return self.end_call(call, CallEnd::ConnectionLost);
        }
        if state.offer_out.as_ref().is_some_and(|o| o.tx == tx) {
            let offer = state.offer_out.take();
            if failure == Failure::Timeout {
                self.send_bye(call);
                self.end_call(call, CallEnd::Timeout);
            } else if let Some(OfferOut { sdp: Some(_), .. }) = offer {
                self.ctx.event(Event::OfferRefused { call, status: 0 });
            }
            return;
        }
        if request.method == Method::Refer {
            self.on_refer_failure(call);
        }
    }

    /// A request in a call's dialog.
    pub(super) fn on_call_request(&mut self, call: CallRef, request: Request) {
        let tx = self.ctx.start_server(&request, Owner::Call(call));
        let Some(state) = self.calls.get_mut(&call) else { return };
        let tag = state.local_tag.clone();
        let respond = |ua: &mut UserAgent, status: u16| {
            ua.ctx.respond(tx, Response::to_request(&request, status, Some(&tag)));
        };
        let in_order = state.dialog.as_mut().is_some_and(|d| d.accept_request(&request));
        if !in_order {
            return respond(self, 500);
        }
        if state.ended && request.method != Method::Bye {
            return respond(self, 481);
        }
        if state.phase == Phase::Answered && state.unacked.is_some() {
            // Proxies may pass a new request before the ACK of our 2xx (RFC 3261 allows it).
            self.acknowledged(call, None);
        }
        match request.method {
            Method::Bye => {
                respond(self, 200);
                self.end_call(call, CallEnd::HungUpThere);
                if let Some(state) = self.calls.get_mut(&call) {
                    state.unacked = None;
                    state.offer_out = None;
                }
            }
            Method::Invite | Method::Update => self.on_remote_offer(call, tx, request),
            Method::Info => {
                let plain = request
                    .headers
                    .get(&HeaderName::ContentType)
                    .is_some_and(|t| t.starts_with(b"application/dtmf") && !t.starts_with(b"application/dtmf-relay"));
                let dtmf = if plain {
                    Dtmf::parse_body(&request.body).map(|signal| DtmfRelay { signal, duration_ms: None })
                } else {
                    DtmfRelay::parse(&request.body)
                };
                respond(self, 200);
                if let Ok(dtmf) = dtmf {
                    let (digit, duration) = (dtmf.signal.as_char(), dtmf.duration_ms.unwrap_or(0));
                    self.ctx.event(Event::Dtmf { call, digit, duration });
                }
            }
            Method::Refer => self.on_refer(call, tx, request),
            Method::Notify => self.on_refer_notify(call, tx, request),
            Method::Options => respond(self, 200),
            Method::Message => self.take_message(tx, &request, &tag),
            _ => respond(self, 405),
        }
    }
}

/// A response that sets up a dialog: RFC 3261 §12.1.1 wants the request's Record-Route in it,
/// so that the caller routes its requests through the same proxies.
fn dialog_response(request: &Request, status: u16, tag: &str) -> Response {
    let mut response = Response::to_request(request, status, Some(tag));
    for route in request.headers.all(&HeaderName::RecordRoute) {
        response.headers.push(HeaderName::RecordRoute, route.to_vec());
    }
    response
}

/// The ACK for a 2xx to the INVITE with CSeq `number`.
fn ack_request(dialog: &mut Dialog, number: u32, via: String) -> Request {
    let mut ack = dialog.request(Method::Ack, via);
    ack.headers.set(HeaderName::CSeq, format!("{number} ACK"));
    ack
}

/// The end of a call attempt refused with `response`.
fn rejected(response: &Response) -> CallEnd {
    CallEnd::Rejected { status: response.status, reason: reason_text(response), kind: RejectKind::of(response.status) }
}

/// Whether an Allow header lists `method`.
fn allows(headers: &crate::message::Headers, method: &str) -> bool {
    headers.values(&HeaderName::Allow).any(|value| value.eq_ignore_ascii_case(method.as_bytes()))
}

/// Whether a Supported header lists `tag`.
fn supports(headers: &crate::message::Headers, tag: &str) -> bool {
    headers.values(&HeaderName::Supported).any(|value| value.eq_ignore_ascii_case(tag.as_bytes()))
}
