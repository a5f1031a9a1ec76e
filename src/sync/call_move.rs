//! Moving calls in progress to the pop-out: which calls can move, and what the window that has
//! them tells the one that takes them over. The SIP side is `sip::agent::MovableCall` (an
//! INVITE with Replaces from the pop-out); a call that cannot move stays where it is, and the
//! phone moves when it ends.

use serde::{Deserialize, Serialize};
use sip::agent::MovableCall;

use crate::model::{CallStage, CallView};

/// How long the window taking calls over may take to sign in before it gives up: the calls
/// stay where they are.
pub const SIGN_IN_WAIT_MS: i32 = 8_000;
/// How long the window taking a call over waits for the other party to answer its INVITE
/// before it cancels it.
pub const TAKE_OVER_ANSWER_MS: i32 = 8_000;
/// How long the window moving its calls waits for word of them before it counts them as staying
/// (well after [`SIGN_IN_WAIT_MS`] and [`TAKE_OVER_ANSWER_MS`]).
pub const MOVE_TIMEOUT_MS: i32 = 20_000;

/// One call handed to the window that takes it over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovingCall {
    /// Its dialog, for the INVITE that replaces it.
    pub dialog: MovableCall,
    /// The call as the agent sees it (Call-ID, start, party, record, hold, mute).
    pub view: CallView,
}

/// Whether a call can move: one the agent talks on or holds, not being transferred. A call
/// ringing or being placed has no dialog to replace yet, and the new window would not know the
/// transfer under way.
pub fn can_move(view: &CallView) -> bool {
    view.stage == CallStage::Active && view.consultation.is_none()
}

#[cfg(test)]
mod tests {
    use sip::agent::CallRef;

    use super::*;
    use crate::display_name::Party;

    fn call(stage: CallStage) -> CallView {
        CallView::new(CallRef(1), true, Party::new(None, "1002"), "1002".into(), stage, 0.0)
    }

    #[test]
    fn only_calls_the_agent_is_on_and_not_transferring_move() {
        assert!(can_move(&call(CallStage::Active)));
        let held = CallView { held: true, ..call(CallStage::Active) };
        assert!(can_move(&held));
        for stage in [CallStage::Incoming, CallStage::Dialing, CallStage::Ringing, CallStage::Connecting] {
            assert!(!can_move(&call(stage)), "{stage:?}");
        }
        let transferring = CallView { consultation: Some(CallRef(2)), ..call(CallStage::Active) };
        assert!(!can_move(&transferring));
    }

    #[test]
    fn a_moving_call_travels_as_json_and_comes_back_the_same() {
        let moving = MovingCall {
            dialog: MovableCall {
                call_id: "abc@lab".into(),
                local_tag: "l1".into(),
                remote_tag: "r1".into(),
                remote_target: "sip:1002@lab;gr=urn:uuid:1".into(),
            },
            view: CallView { muted: true, ..call(CallStage::Active) },
        };
        let text = serde_json::to_string(&moving).unwrap();
        assert_eq!(serde_json::from_str::<MovingCall>(&text).unwrap(), moving);
    }
}
