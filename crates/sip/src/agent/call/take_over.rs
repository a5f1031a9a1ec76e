//! Moving a call in progress between two instances of one agent (a phone window that goes
//! away, a pop-out that stays): the instance that takes the call over sends the other party an
//! INVITE that replaces the old dialog (RFC 3891), naming the agent itself in Referred-By
//! (RFC 3892), and the other party ends the old dialog with a BYE. `Require: replaces` makes a
//! party that cannot replace refuse (420) rather than ring as a new call.

use super::super::events::CallRef;
use super::super::{CommandError, UserAgent};
use super::Phase;
use crate::Millis;
use crate::message::{HeaderName, Uri};

/// A confirmed call of one instance of the agent, as another instance needs it to take it over:
/// the dialog's identifiers from the agent's side, and where the other party is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MovableCall {
    /// The dialog's Call-ID.
    pub call_id: String,
    /// The agent's tag in it.
    pub local_tag: String,
    /// The other party's tag.
    pub remote_tag: String,
    /// The other party's Contact (its GRUU when it has one): where the INVITE goes.
    pub remote_target: String,
}

impl MovableCall {
    /// The Replaces value that names this dialog at the other party, whose tags are the other
    /// way round (RFC 3891 §3: to-tag is the recipient's own tag).
    pub fn replaces(&self) -> String {
        format!("{};to-tag={};from-tag={}", self.call_id, self.remote_tag, self.local_tag)
    }
}

impl UserAgent {
    /// The dialog of `call` for another instance of the agent to take it over; none unless it
    /// is confirmed.
    pub fn movable(&self, call: CallRef) -> Option<MovableCall> {
        let state = self.calls.get(&call).filter(|c| !c.ended && c.phase == Phase::Confirmed)?;
        let dialog = state.dialog.as_ref()?;
        Some(MovableCall {
            call_id: dialog.call_id.clone(),
            local_tag: dialog.local_tag.clone(),
            remote_tag: dialog.remote_tag.clone(),
            remote_target: dialog.remote_target.to_string(),
        })
    }

    /// Takes over `moved`, a call another instance of this agent holds, with the application's
    /// SDP offer. The new call is reported like any call we placed; once it is established the
    /// other party has ended the old one.
    pub fn take_over(&mut self, now: Millis, moved: &MovableCall, sdp: String) -> Result<CallRef, CommandError> {
        self.ctx.now = now;
        let bad = || CommandError::BadTarget(moved.remote_target.clone());
        let target = Uri::parse(moved.remote_target.as_bytes()).map_err(|_| bad())?;
        let fits =
            |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',');
        if !(fits(&moved.call_id) && fits(&moved.local_tag) && fits(&moved.remote_tag)) {
            return Err(bad());
        }
        if self.ctx.flow().is_none() || self.stopping {
            return Err(CommandError::Offline);
        }
        if self.live_calls() >= self.ctx.config.max_calls {
            return Err(CommandError::TooManyCalls(self.ctx.config.max_calls));
        }
        let extra = vec![
            (HeaderName::Replaces, moved.replaces()),
            (HeaderName::Require, "replaces".to_owned()),
            (HeaderName::ReferredBy, format!("<{}>", self.ctx.config.aor)),
        ];
        let id = self.new_outgoing(target, extra);
        self.send_invite(id, sdp);
        self.dispatch();
        Ok(id)
    }
}
