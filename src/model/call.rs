//! One call as the agent sees it.

use serde::{Deserialize, Serialize};
use sip::agent::CallRef;

use crate::audio_level::AudioStats;
use crate::display_name::Party;
use crate::i18n::{t, t_args};

/// Where a call is, as the agent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallStage {
    /// Ours, placed, no answer yet.
    Dialing,
    /// Ours, ringing at the other end.
    Ringing,
    /// Theirs, ringing here.
    Incoming,
    /// Answered, being connected.
    Connecting,
    /// Talking.
    Active,
}

/// One call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallView {
    /// The phone's handle.
    pub id: CallRef,
    /// The SIP Call-ID, which names the call in the history and the CRM.
    pub call_id: String,
    /// Whether the other side called us.
    pub incoming: bool,
    /// The other party: name and number, cleaned and capped.
    pub party: Party,
    /// What to dial to reach them again.
    pub number: String,
    /// When the call started (milliseconds since 1970).
    pub started: f64,
    /// Where it is.
    pub stage: CallStage,
    /// When it was answered (milliseconds since 1970), for the call timer.
    pub answered_at: Option<f64>,
    /// Our microphone is off on this call.
    pub muted: bool,
    /// We put it on hold.
    pub held: bool,
    /// The other party put it on hold (their last offer stopped sending to us).
    #[serde(default)]
    pub held_there: bool,
    /// The last `getStats` reading: packets, and the energy the level meters are made from.
    pub audio: AudioStats,
    /// Microphone and incoming audio levels over the last second, in percent.
    pub levels: (u8, u8),
    /// The call-quality estimate of the last reading interval (the figures behind the MOS).
    #[serde(default)]
    pub quality: Option<crate::call_quality::Estimate>,
    /// The call's quality so far: level (with hysteresis), worst and average MOS.
    #[serde(default)]
    pub quality_tally: crate::call_quality::Tally,
    /// The audio path: reconnecting (an ICE restart on its way), lost, restarts so far.
    #[serde(default)]
    pub link: crate::ice_restart::LinkView,
    /// Keypad digits sent on this call.
    pub keys_sent: String,
    /// Digits the other side sent by SIP INFO.
    pub keys_received: String,
    /// The consultation call of an attended transfer of this call.
    pub consultation: Option<CallRef>,
    /// Lines about the call the agent must see: who is transferring them where, a transfer
    /// that was refused.
    pub notes: Vec<String>,
    /// The CRM record the call is logged against.
    #[serde(default)]
    pub record: Option<crate::activity::RecordRef>,
    /// Several records carry the caller's number: the agent picks the caller's.
    #[serde(default)]
    pub record_choices: Vec<crate::activity::RecordRef>,
}

impl CallView {
    /// A call that started at `now`.
    pub fn new(id: CallRef, incoming: bool, party: Party, number: String, stage: CallStage, now: f64) -> CallView {
        CallView {
            id,
            call_id: String::new(),
            incoming,
            party,
            number,
            started: now,
            record: None,
            record_choices: Vec::new(),
            stage,
            answered_at: None,
            muted: false,
            held: false,
            held_there: false,
            audio: AudioStats::default(),
            levels: (0, 0),
            quality: None,
            quality_tally: Default::default(),
            link: Default::default(),
            keys_sent: String::new(),
            keys_received: String::new(),
            consultation: None,
            notes: Vec::new(),
        }
    }

    /// The state in words.
    pub fn stage_text(&self) -> String {
        t(match (self.stage, self.held, self.held_there) {
            (CallStage::Active, true, _) => "calls.stage.on-hold",
            (CallStage::Active, false, true) => "calls.stage.held-there",
            (CallStage::Active, false, false) => "calls.stage.connected",
            (CallStage::Dialing, ..) => "calls.stage.calling",
            (CallStage::Ringing, ..) => "calls.stage.ringing",
            (CallStage::Incoming, ..) => "calls.stage.incoming",
            (CallStage::Connecting, ..) => "calls.stage.connecting",
        })
    }

    /// The call's accessible name: who it is with and, when it is not simply connected, where
    /// it is ("Call with ⟨Ana Díaz⟩ (⟨1002⟩), on hold"), so that two calls never share a name.
    pub fn accessible_name(&self) -> String {
        let party = self.party.isolated();
        // One whole sentence per stage: languages place the stage differently.
        let key = match (self.stage, self.held, self.held_there) {
            (CallStage::Active, true, _) => "calls.name.on-hold",
            (CallStage::Active, false, true) => "calls.name.held-there",
            (CallStage::Active, false, false) => "calls.name.connected",
            (CallStage::Dialing, ..) => "calls.name.calling",
            (CallStage::Ringing, ..) => "calls.name.ringing",
            (CallStage::Incoming, ..) => "calls.name.incoming",
            (CallStage::Connecting, ..) => "calls.name.connecting",
        };
        t_args(key, &[("party", &party)])
    }

    /// Whether the agent is on this call (placed, answered or being answered), not just
    /// hearing it ring.
    pub fn engaged(&self) -> bool {
        self.stage != CallStage::Incoming
    }
}

/// `m:ss` (or `h:mm:ss`) since `start`, both in milliseconds.
pub fn elapsed_text(start: f64, now: f64) -> String {
    let seconds = ((now - start).max(0.0) / 1000.0) as u64;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 { format!("{hours}:{minutes:02}:{seconds:02}") } else { format!("{minutes}:{seconds:02}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_is_named_after_its_party_and_stage() {
        let party = Party::new(Some("Ana Díaz"), "1002");
        let mut call = CallView::new(CallRef(1), true, party, "1002".into(), CallStage::Active, 0.0);
        assert_eq!(call.accessible_name(), "Call with \u{2068}Ana Díaz\u{2069} (\u{2068}1002\u{2069})");
        call.held = true;
        assert!(call.accessible_name().ends_with(", on hold"));
        call.held = false;
        call.held_there = true;
        assert!(call.accessible_name().ends_with(", held by the other party"));
        call.stage = CallStage::Dialing;
        assert!(call.accessible_name().ends_with(", calling"));
    }

    #[test]
    fn call_timers_read_as_minutes_and_seconds_then_hours() {
        assert_eq!(elapsed_text(1_000.0, 1_000.0), "0:00");
        assert_eq!(elapsed_text(1_000.0, 66_500.0), "1:05");
        assert_eq!(elapsed_text(0.0, 3_725_000.0), "1:02:05");
        assert_eq!(elapsed_text(5_000.0, 1_000.0), "0:00", "a clock behind the start reads zero");
    }
}
