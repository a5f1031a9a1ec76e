//! DTMF by SIP INFO (`application/dtmf-relay`), one digit after the other so that they arrive
//! in order.

use super::Phase;
use crate::Millis;
use crate::agent::events::CallRef;
use crate::agent::transactions::{Owner, TxId};
use crate::agent::{CommandError, UserAgent};
use crate::body::{Dtmf, DtmfRelay};
use crate::message::{HeaderName, Method};

impl UserAgent {
    /// Sends a DTMF digit by SIP INFO (`application/dtmf-relay`), for servers that want it.
    pub fn send_dtmf(&mut self, now: Millis, call: CallRef, digit: char, duration: u32) -> Result<(), CommandError> {
        self.ctx.now = now;
        let signal = Dtmf::new(digit).map_err(|_| CommandError::BadDigit(digit))?;
        let state = self.calls.get_mut(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        if state.phase != Phase::Confirmed {
            return Err(CommandError::WrongState("the call is not established"));
        }
        state.dtmf_queue.push_back(DtmfRelay { signal, duration_ms: Some(duration) });
        self.send_next_dtmf(call);
        self.dispatch();
        Ok(())
    }

    /// The INFO `tx` is over: the next digit may go.
    pub(in crate::agent) fn dtmf_answered(&mut self, call: CallRef, tx: TxId) {
        if let Some(state) = self.calls.get_mut(&call).filter(|c| c.dtmf_tx == Some(tx)) {
            state.dtmf_tx = None;
            self.send_next_dtmf(call);
        }
    }

    /// Sends the next queued digit when no INFO is outstanding.
    pub(in crate::agent) fn send_next_dtmf(&mut self, call: CallRef) {
        let Some(state) = self.calls.get_mut(&call).filter(|c| c.dtmf_tx.is_none() && !c.ended) else { return };
        let Some(dtmf) = state.dtmf_queue.pop_front() else { return };
        let Ok(mut request) = self.in_dialog_request(call, Method::Info) else { return };
        request.headers.push(HeaderName::ContentType, "application/dtmf-relay");
        request.body = dtmf.to_body().into_bytes();
        let tx = self.ctx.send_request(request, Owner::Call(call));
        if let Some(state) = self.calls.get_mut(&call) {
            state.dtmf_tx = Some(tx);
        }
    }
}
