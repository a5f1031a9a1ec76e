//! What a call sends: the microphone, or, while the agent holds the call, silence or the
//! configured music on hold (pure).
//!
//! Holding a call changes the SDP direction to `sendonly`, which on its own still carries the
//! microphone: the held party would hear the agent talk to a supervisor. So the held call's
//! sender gets another source. Mute is separate: it silences the call's own microphone track,
//! so unmuting a held call cannot reopen the microphone to the held party, and resuming a
//! muted call keeps it muted. A hold by the far end changes only the SDP direction (our answer
//! is `recvonly`); what we would send is left alone.

/// The sources the phone has for a held call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HoldSources {
    /// A silent audio track (Web Audio) exists: RTP keeps flowing, with silence in it.
    pub silence: bool,
    /// The configured music on hold plays into that track.
    pub music: bool,
}

/// What a call's audio sender carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// The agent's microphone (muted or not: that is the track's own state).
    Microphone,
    /// The music on hold.
    Music,
    /// A silent track: packets go on, with no sound in them.
    Silence,
    /// No track at all: the sender stops (the last resort when the page has no Web Audio).
    Nothing,
}

/// What a call sends when the agent holds it (`held_here`) or not, given the hold sources.
/// The far end's hold is not an input: it changes only the SDP direction.
pub fn outgoing(held_here: bool, sources: HoldSources) -> Outgoing {
    match (held_here, sources) {
        (false, _) => Outgoing::Microphone,
        (true, HoldSources { silence: true, music: true }) => Outgoing::Music,
        (true, HoldSources { silence: true, music: false }) => Outgoing::Silence,
        // Music needs the Web Audio graph that also makes the silence; without it, nothing.
        (true, HoldSources { silence: false, .. }) => Outgoing::Nothing,
    }
}

/// Whether the music on hold should be playing: while at least one call is held here.
pub fn music_plays(held_calls: usize) -> bool {
    held_calls > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [HoldSources; 4] = [
        HoldSources { silence: false, music: false },
        HoldSources { silence: false, music: true },
        HoldSources { silence: true, music: false },
        HoldSources { silence: true, music: true },
    ];

    #[test]
    fn a_call_not_held_here_sends_the_microphone_whatever_the_sources() {
        for sources in ALL {
            assert_eq!(outgoing(false, sources), Outgoing::Microphone);
        }
    }

    #[test]
    fn a_held_call_never_sends_the_microphone() {
        for sources in ALL {
            assert_ne!(outgoing(true, sources), Outgoing::Microphone, "{sources:?}");
        }
    }

    #[test]
    fn a_held_call_sends_music_when_configured_silence_otherwise_and_nothing_without_web_audio() {
        assert_eq!(outgoing(true, HoldSources { silence: true, music: true }), Outgoing::Music);
        assert_eq!(outgoing(true, HoldSources { silence: true, music: false }), Outgoing::Silence);
        assert_eq!(outgoing(true, HoldSources { silence: false, music: true }), Outgoing::Nothing);
        assert_eq!(outgoing(true, HoldSources::default()), Outgoing::Nothing);
    }

    #[test]
    fn the_music_plays_only_while_a_call_is_held() {
        assert!(!music_plays(0));
        assert!(music_plays(1));
        assert!(music_plays(3));
    }
}
