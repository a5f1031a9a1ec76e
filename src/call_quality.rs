//! Call quality: a MOS estimate from one reading interval of getStats figures (ITU-T G.107
//! E-model, simplified), a level with hysteresis, and a running worst/average.
//!
//! Pure: the browser shell supplies the figures, this module decides.

use serde::{Deserialize, Serialize};

use crate::i18n::{t, t_args};

/// Ro − Is for default G.107 parameters (Table 2 defaults give R = 93.2 with no impairment).
pub const R_DEFAULT: f64 = 93.2;
/// The jitter buffer's allowance added to the one-way network delay, in ms: a browser's adaptive
/// buffer holds roughly two jitter spans plus a 20 ms packet.
const PACKET_MS: f64 = 20.0;
/// How far past a level's threshold the MOS must go before the level changes (no flicker).
const HYSTERESIS: f64 = 0.1;

/// The codec's equipment impairment: Ie and packet-loss robustness Bpl (G.107 §7.4).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Codec {
    /// Equipment impairment factor Ie.
    pub ie: f64,
    /// Packet-loss robustness factor Bpl.
    pub bpl: f64,
}

impl Codec {
    /// G.711 (PCMU/PCMA) without concealment: Ie = 0, Bpl = 4.3 (ITU-T G.113 Appendix I, Table I.3,
    /// random loss).
    pub const G711: Codec = Codec { ie: 0.0, bpl: 4.3 };
    /// G.711 with packet-loss concealment (G.711 Appendix I PLC): Ie = 0, Bpl = 25.1 (G.113
    /// Appendix I, Table I.3).
    pub const G711_PLC: Codec = Codec { ie: 0.0, bpl: 25.1 };
    /// Opus (narrow- or wideband as the browser negotiates it). G.113 Appendix I has no Opus row
    /// on the narrowband scale; Opus has in-band concealment at least as good as G.711's PLC at
    /// the rates browsers use, so this takes the G.711-with-PLC figures (Ie = 0, Bpl = 25.1) as a
    /// stated, conservative stand-in rather than an invented figure.
    pub const OPUS: Codec = Codec { ie: 0.0, bpl: 25.1 };

    /// The figures for an RTP payload's codec name (`audio/opus`, `audio/PCMU`, …).
    pub fn for_mime(mime: &str) -> Codec {
        let lower = mime.to_ascii_lowercase();
        if lower.ends_with("pcmu") || lower.ends_with("pcma") {
            // Browsers conceal lost G.711 frames (NetEq), so the PLC figure applies.
            Codec::G711_PLC
        } else {
            Codec::OPUS
        }
    }
}

/// Delay impairment Id from mouth-to-ear delay in ms: the simplified form of Cole & Rosenbluth
/// ("Voice over IP performance monitoring", 2001) fitted to G.107's Id:
/// Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3).
pub fn delay_impairment(delay_ms: f64) -> f64 {
    let d = delay_ms.max(0.0);
    0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 }
}

/// Effective equipment impairment (G.107 eq. 7-29): Ie + (95 − Ie)·Ppl/(Ppl/BurstR + Bpl), with
/// Ppl in percent and BurstR = 1 for random loss.
pub fn effective_equipment(codec: Codec, loss_ratio: f64, burst_r: f64) -> f64 {
    let ppl = (loss_ratio.clamp(0.0, 1.0)) * 100.0;
    let burst = if burst_r > 0.0 { burst_r } else { 1.0 };
    codec.ie + (95.0 - codec.ie) * ppl / (ppl / burst + codec.bpl)
}

/// The rating R = (Ro − Is) − Id − Ie,eff (+ A = 0) for a mouth-to-ear delay and loss ratio.
pub fn rating(codec: Codec, delay_ms: f64, loss_ratio: f64) -> f64 {
    R_DEFAULT - delay_impairment(delay_ms) - effective_equipment(codec, loss_ratio, 1.0)
}

/// MOS from R (G.107 Annex B): 1 below 0, 4.5 above 100, else 1 + 0.035R + R(R−60)(100−R)·7·10⁻⁶.
///
/// The cubic dips just under 1 for small R (minimum ≈ 0.99 near R = 6.5); it is held at 1 there
/// so the estimate never rises as conditions get worse.
pub fn mos_from_rating(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6).max(1.0)
    }
}

/// The cumulative figures of one getStats reading that the estimate needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// inbound-rtp packetsReceived (cumulative).
    pub packets_received: u64,
    /// inbound-rtp packetsLost (cumulative; may go down on duplicates).
    pub packets_lost: i64,
    /// inbound-rtp jitter in seconds.
    pub jitter_s: f64,
    /// remote-inbound-rtp roundTripTime in seconds, when the far end has sent a report.
    pub round_trip_s: Option<f64>,
    /// inbound-rtp concealedSamples (cumulative).
    pub concealed_samples: u64,
    /// inbound-rtp totalSamplesReceived (cumulative).
    pub total_samples: u64,
}

/// What one interval between two readings measured, and its estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Mouth-to-ear delay used, ms (RTT/2 + jitter buffer + packetization).
    pub delay_ms: f64,
    /// Jitter, ms.
    pub jitter_ms: f64,
    /// Round-trip time, ms, when known.
    pub round_trip_ms: Option<f64>,
    /// Packet loss over the interval, 0..1.
    pub loss_ratio: f64,
    /// Concealed samples over the interval, 0..1.
    pub concealment_ratio: f64,
    /// The E-model rating.
    pub rating: f64,
    /// The MOS estimate.
    pub mos: f64,
}

/// The estimate for the interval from `prev` to `cur`; `None` when no packet arrived in it.
pub fn estimate(codec: Codec, prev: &Figures, cur: &Figures) -> Option<Estimate> {
    let received = cur.packets_received.saturating_sub(prev.packets_received);
    let lost = (cur.packets_lost - prev.packets_lost).max(0) as u64;
    if received == 0 {
        return None;
    }
    let loss_ratio = lost as f64 / (received + lost) as f64;
    let samples = cur.total_samples.saturating_sub(prev.total_samples);
    let concealed = cur.concealed_samples.saturating_sub(prev.concealed_samples);
    let concealment_ratio = if samples == 0 { 0.0 } else { (concealed as f64 / samples as f64).min(1.0) };
    let jitter_ms = (cur.jitter_s * 1000.0).max(0.0);
    let round_trip_ms = cur.round_trip_s.map(|s| (s * 1000.0).max(0.0));
    let delay_ms = round_trip_ms.unwrap_or(0.0) / 2.0 + 2.0 * jitter_ms + PACKET_MS;
    // Concealment also covers late packets the loss counter misses; take the larger.
    let effective_loss = loss_ratio.max(concealment_ratio);
    let rating = rating(codec, delay_ms, effective_loss);
    Some(Estimate {
        delay_ms,
        jitter_ms,
        round_trip_ms,
        loss_ratio,
        concealment_ratio,
        rating,
        mos: mos_from_rating(rating),
    })
}

/// The quality levels shown on a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    /// MOS ≥ 4.0.
    Good,
    /// 3.6 ≤ MOS < 4.0.
    Fair,
    /// MOS < 3.6.
    Poor,
}

impl Level {
    /// The level's name in the indicator's `data-level`, for its colours.
    pub fn word(self) -> &'static str {
        match self {
            Level::Good => "good",
            Level::Fair => "fair",
            Level::Poor => "poor",
        }
    }

    /// The level as the indicator shows it beside its bars.
    pub fn label(self) -> String {
        t(match self {
            Level::Good => "calls.quality.good",
            Level::Fair => "calls.quality.fair",
            Level::Poor => "calls.quality.poor",
        })
    }

    /// The level for a MOS with no previous level.
    pub fn of(mos: f64) -> Level {
        if mos >= 4.0 {
            Level::Good
        } else if mos >= 3.6 {
            Level::Fair
        } else {
            Level::Poor
        }
    }

    /// The next level from `self` for `mos`: changes only once the MOS is past the threshold by
    /// the hysteresis margin.
    pub fn next(self, mos: f64) -> Level {
        let raw = Level::of(mos);
        if raw == self {
            return self;
        }
        let moved = match (self, raw) {
            (Level::Good, _) => mos < 4.0 - HYSTERESIS,
            (Level::Fair, Level::Good) => mos >= 4.0 + HYSTERESIS,
            (Level::Fair, _) => mos < 3.6 - HYSTERESIS,
            (Level::Poor, _) => mos >= 3.6 + HYSTERESIS,
        };
        if moved {
            // Re-classify with the margin applied so a big jump lands on the right level.
            raw
        } else {
            self
        }
    }
}

/// The indicator's accessible name: "Call quality: good, 4.3", or "Call quality: measuring".
pub fn indicator_name(tally: &Tally) -> String {
    let Some((level, mos)) = tally.level.zip(tally.latest) else {
        return t("calls.quality.name-measuring");
    };
    let key = match level {
        Level::Good => "calls.quality.name-good",
        Level::Fair => "calls.quality.name-fair",
        Level::Poor => "calls.quality.name-poor",
    };
    t_args(key, &[("mos", &fixed(mos, 1))])
}

/// `value` with `places` decimals (0 to 3), rounded half up, without core's float formatting
/// (`{:.1}` brings about 12 KB of wasm for these few figures). A value that is not a number
/// reads as 0.
pub fn fixed(value: f64, places: u32) -> String {
    let scale = 10u64.pow(places.min(3));
    // `as` saturates: NaN is 0, a figure beyond u64 its largest.
    let scaled = (value.abs() * scale as f64 + 0.5).floor() as u64;
    let sign = if value < 0.0 && scaled != 0 { "-" } else { "" };
    let (whole, fraction) = (scaled / scale, scaled % scale);
    match places.min(3) {
        0 => format!("{sign}{whole}"),
        width => format!("{sign}{whole}.{fraction:0width$}", width = width as usize),
    }
}

/// The figures behind an estimate, as one line for the call's details.
pub fn figures_text(estimate: &Estimate) -> String {
    let rtt = estimate.round_trip_ms.map_or_else(
        || t("calls.quality.round-trip-unknown"),
        |ms| t_args("calls.quality.round-trip-ms", &[("ms", &fixed(ms, 0))]),
    );
    t_args(
        "calls.quality.figures",
        &[
            ("jitter", &fixed(estimate.jitter_ms, 0)),
            ("loss", &fixed(estimate.loss_ratio * 100.0, 1)),
            ("rtt", &rtt),
            ("mos", &fixed(estimate.mos, 2)),
        ],
    )
}

/// A call's running quality: current level, worst and average MOS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// The current level, once there is a reading.
    pub level: Option<Level>,
    /// The latest MOS.
    pub latest: Option<f64>,
    /// The worst MOS so far.
    pub worst: Option<f64>,
    /// Sum of the MOS readings (for the average).
    pub sum: f64,
    /// Number of readings.
    pub count: u32,
}

impl Tally {
    /// Adds one interval's MOS.
    pub fn add(&mut self, mos: f64) {
        self.level = Some(match self.level {
            Some(level) => level.next(mos),
            None => Level::of(mos),
        });
        self.latest = Some(mos);
        self.worst = Some(self.worst.map_or(mos, |w| w.min(mos)));
        self.sum += mos;
        self.count += 1;
    }

    /// The average MOS, once there is a reading.
    pub fn average(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / f64::from(self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn figures_read_as_core_writes_them_but_for_exact_halves() {
        for i in 0..40_000u32 {
            let value = f64::from(i) * 0.0137 - 100.0;
            for places in 0..=3u32 {
                let scaled = value.abs() * 10f64.powi(places as i32);
                if (scaled - scaled.floor() - 0.5).abs() < 1e-6 {
                    continue; // core rounds halves to even, the figure shown up
                }
                let core = format!("{value:.*}", places as usize);
                let core =
                    if core.trim_start_matches(['-', '0', '.']).is_empty() { core.replace('-', "") } else { core };
                assert_eq!(fixed(value, places), core, "{value} to {places}");
            }
        }
        assert_eq!((fixed(4.25, 1), fixed(-0.04, 1), fixed(f64::NAN, 2)), ("4.3".into(), "0.0".into(), "0.00".into()));
    }

    #[test]
    fn mos_matches_the_g107_reference_points() {
        assert!(close(mos_from_rating(93.2), 4.41, 0.01), "{}", mos_from_rating(93.2));
        assert!(close(mos_from_rating(50.0), 2.58, 0.01), "{}", mos_from_rating(50.0));
        assert_eq!(mos_from_rating(0.0), 1.0);
        assert_eq!(mos_from_rating(-5.0), 1.0);
        assert_eq!(mos_from_rating(100.0), 4.5);
        assert_eq!(mos_from_rating(120.0), 4.5);
    }

    #[test]
    fn no_impairment_rates_93_2() {
        assert!(close(rating(Codec::G711, 0.0, 0.0), 93.2, 1e-9));
    }

    #[test]
    fn delay_of_150_ms_barely_moves_r_and_400_ms_clearly_does() {
        let at_150 = R_DEFAULT - rating(Codec::G711, 150.0, 0.0);
        let at_400 = R_DEFAULT - rating(Codec::G711, 400.0, 0.0);
        assert!(at_150 < 5.0, "150 ms cost {at_150}");
        assert!(at_400 > 30.0, "400 ms cost {at_400}");
        assert!(mos_from_rating(R_DEFAULT - at_150) >= 4.3);
        assert!(mos_from_rating(R_DEFAULT - at_400) < 3.6);
    }

    #[test]
    fn g711_two_percent_random_loss_without_plc_drops_r_by_the_g113_figure() {
        // Ie,eff = 95·2/(2 + 4.3) ≈ 30.2 (G.113 Appendix I, G.711 without PLC).
        let drop = R_DEFAULT - rating(Codec::G711, 0.0, 0.02);
        assert!(close(drop, 30.16, 0.05), "{drop}");
        let with_plc = R_DEFAULT - rating(Codec::G711_PLC, 0.0, 0.02);
        // 95·2/(2 + 25.1) ≈ 7.0: concealment keeps most of the rating.
        assert!(close(with_plc, 7.01, 0.05), "{with_plc}");
    }

    #[test]
    fn mos_falls_monotonically_with_loss_and_delay() {
        for codec in [Codec::G711, Codec::G711_PLC, Codec::OPUS] {
            let mut last = f64::INFINITY;
            for step in 0..=50 {
                let mos = mos_from_rating(rating(codec, 40.0, f64::from(step) / 100.0));
                assert!(mos <= last, "loss step {step}");
                last = mos;
            }
            let mut last = f64::INFINITY;
            for ms in (0..=800).step_by(10) {
                let mos = mos_from_rating(rating(codec, f64::from(ms), 0.01));
                assert!(mos <= last, "delay {ms} ms");
                last = mos;
            }
        }
    }

    #[test]
    fn an_interval_uses_counter_deltas_and_the_round_trip() {
        let prev = Figures {
            packets_received: 1000,
            packets_lost: 10,
            concealed_samples: 0,
            total_samples: 480_000,
            ..Figures::default()
        };
        let cur = Figures {
            packets_received: 1098,
            packets_lost: 12,
            jitter_s: 0.005,
            round_trip_s: Some(0.1),
            concealed_samples: 0,
            total_samples: 576_000,
        };
        let e = estimate(Codec::OPUS, &prev, &cur).expect("packets arrived");
        assert!(close(e.loss_ratio, 0.02, 1e-9));
        assert!(close(e.delay_ms, 50.0 + 10.0 + 20.0, 1e-9));
        assert_eq!(e.round_trip_ms, Some(100.0));
        assert!(e.mos < mos_from_rating(R_DEFAULT));
        assert_eq!(estimate(Codec::OPUS, &cur, &cur), None);
    }

    #[test]
    fn a_clean_loopback_interval_is_good() {
        let prev = Figures::default();
        let cur = Figures {
            packets_received: 250,
            jitter_s: 0.001,
            round_trip_s: Some(0.002),
            total_samples: 240_000,
            ..Figures::default()
        };
        let e = estimate(Codec::OPUS, &prev, &cur).expect("packets arrived");
        assert_eq!(Level::of(e.mos), Level::Good);
    }

    #[test]
    fn the_level_does_not_flicker_around_a_threshold() {
        let mut tally = Tally::default();
        tally.add(4.2);
        assert_eq!(tally.level, Some(Level::Good));
        tally.add(3.95);
        assert_eq!(tally.level, Some(Level::Good), "within the margin");
        tally.add(3.85);
        assert_eq!(tally.level, Some(Level::Fair));
        tally.add(4.05);
        assert_eq!(tally.level, Some(Level::Fair), "within the margin");
        tally.add(3.55);
        assert_eq!(tally.level, Some(Level::Fair), "within the margin");
        tally.add(3.2);
        assert_eq!(tally.level, Some(Level::Poor));
        tally.add(3.65);
        assert_eq!(tally.level, Some(Level::Poor));
        tally.add(4.4);
        assert_eq!(tally.level, Some(Level::Good));
        assert_eq!(tally.worst, Some(3.2));
        let avg = tally.average().expect("readings");
        assert_eq!(indicator_name(&tally), "Call quality: good, 4.4");
        assert_eq!(indicator_name(&Tally::default()), "Call quality: measuring");
        assert!(close(avg, (4.2 + 3.95 + 3.85 + 4.05 + 3.55 + 3.2 + 3.65 + 4.4) / 8.0, 1e-9));
    }
}
