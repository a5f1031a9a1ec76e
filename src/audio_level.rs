//! How loud a call is, from the browser's cumulative audio statistics (`getStats`:
//! `totalAudioEnergy` and `totalSamplesDuration`), for the level meters of the call.

use serde::{Deserialize, Serialize};

/// Cumulative energy and duration of one direction's audio since the call began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnergyCounters {
    /// Sum of the squared level (0 to 1) times each sample's duration.
    pub energy: f64,
    /// Seconds of audio counted.
    pub duration: f64,
}

/// One reading of a call's audio statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AudioStats {
    /// RTP packets sent and received.
    pub packets: (u64, u64),
    /// Energy of the microphone's audio.
    pub sent: EnergyCounters,
    /// Energy of the other party's audio.
    pub received: EnergyCounters,
    /// The figures the call-quality estimate reads (jitter, loss, concealment, round trip).
    #[serde(default)]
    pub quality: crate::call_quality::Figures,
}

/// The quietest level a meter shows above zero, in dB below full scale.
const FLOOR_DB: f64 = -60.0;

/// The level of the audio between two readings, in percent of a -60 to 0 dBFS scale: the
/// root mean square over the interval, so that one loud moment does not fill the meter.
pub fn level_between(before: EnergyCounters, after: EnergyCounters) -> u8 {
    let duration = after.duration - before.duration;
    let energy = after.energy - before.energy;
    // A new stream (counters restarted) or no audio: nothing to show.
    if duration <= 0.0 || energy <= 0.0 || !energy.is_finite() || !duration.is_finite() {
        return 0;
    }
    let rms = (energy / duration).sqrt();
    let db = 20.0 * rms.log10();
    ((db - FLOOR_DB) / -FLOOR_DB * 100.0).clamp(0.0, 100.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counters(energy: f64, duration: f64) -> EnergyCounters {
        EnergyCounters { energy, duration }
    }

    #[test]
    fn full_scale_fills_the_meter_and_silence_empties_it() {
        assert_eq!(level_between(counters(0.0, 0.0), counters(1.0, 1.0)), 100);
        assert_eq!(level_between(counters(2.0, 5.0), counters(2.0, 6.0)), 0, "muted: no new energy");
    }

    #[test]
    fn levels_are_rms_in_decibels() {
        // A level of 0.1 (-20 dBFS) for one second: two thirds of the -60..0 scale.
        assert_eq!(level_between(counters(0.0, 10.0), counters(0.01, 11.0)), 67);
        // 0.001 (-60 dBFS) is the floor.
        assert_eq!(level_between(counters(0.0, 0.0), counters(1e-6, 1.0)), 0);
    }

    #[test]
    fn restarted_or_broken_counters_show_nothing() {
        assert_eq!(level_between(counters(5.0, 10.0), counters(1.0, 2.0)), 0);
        assert_eq!(level_between(counters(0.0, 1.0), counters(f64::NAN, 2.0)), 0);
        assert_eq!(level_between(counters(0.0, 1.0), counters(1.0, 1.0)), 0);
    }
}
