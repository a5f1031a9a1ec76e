//! The phone's own sounds, made as small WAV files in memory rather than shipped as assets: the
//! ringtone of an incoming call and the short call-waiting tone heard during a call. Each file is
//! one period of its cadence; the audio element loops it.

use crate::model::CallStage;

/// Samples per second: telephone quality is plenty for tones and keeps the files small.
pub const SAMPLE_RATE: u32 = 8_000;

/// A tone pattern: bursts of summed sine waves separated by silence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cadence {
    /// The frequencies sounded together, in hertz.
    pub frequencies: &'static [f32],
    /// Each burst and the silence after it, in milliseconds; the pattern then repeats.
    pub steps: &'static [(u32, u32)],
    /// Peak level, from 0 to 1.
    pub level: f32,
}

/// The ringtone: the North American ringing tones (440 + 480 Hz), one second on, two off.
pub const RINGTONE: Cadence = Cadence { frequencies: &[440.0, 480.0], steps: &[(1_000, 2_000)], level: 0.5 };

/// The call-waiting tone: two short 440 Hz beeps every ten seconds, quiet, for the headset.
pub const CALL_WAITING: Cadence = Cadence { frequencies: &[440.0], steps: &[(300, 200), (300, 9_200)], level: 0.25 };

/// What the calls in progress should sound like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alert {
    /// A call rings and the agent is on no other call: the ringtone, on the ringer device.
    Ringtone,
    /// A call rings while the agent is on another: the call-waiting tone, on the speaker.
    CallWaiting,
}

/// The alert for calls in these stages (`None`: silence).
pub fn alert_for(stages: impl IntoIterator<Item = CallStage>) -> Option<Alert> {
    let (mut ringing, mut busy) = (false, false);
    for stage in stages {
        match stage {
            CallStage::Incoming => ringing = true,
            _ => busy = true,
        }
    }
    match (ringing, busy) {
        (false, _) => None,
        (true, false) => Some(Alert::Ringtone),
        (true, true) => Some(Alert::CallWaiting),
    }
}

/// Ramp at each edge of a burst, so that it starts and stops without a click.
const RAMP_MS: u32 = 10;

/// A sine wave by recurrence (sin((n+1)w) = 2cos(w)sin(nw) - sin((n-1)w)): one multiply per
/// sample, where `sin` itself is a slow software routine in WebAssembly.
struct Oscillator {
    factor: f64,
    previous: f64,
    current: f64,
}

impl Oscillator {
    fn new(frequency: f32) -> Oscillator {
        let step = std::f64::consts::TAU * f64::from(frequency) / f64::from(SAMPLE_RATE);
        let (sin, cos) = sin_cos(step);
        Oscillator { factor: 2.0 * cos, previous: -sin, current: 0.0 }
    }

    /// The current sample, then one step on.
    fn next(&mut self) -> f64 {
        let sample = self.current;
        (self.previous, self.current) = (self.current, self.factor * self.current - self.previous);
        sample
    }
}

/// `sin x` and `cos x` for a step below the Nyquist frequency (|x| ≤ π) by their Taylor series
/// up to x^27 (the first term left out, at most π^28/28!, is below 1e-15): `f64::sin` and `cos` would bring
/// libm's argument reduction, about 6 KB of wasm, for the two numbers each tone needs.
fn sin_cos(x: f64) -> (f64, f64) {
    let (mut sin, mut cos) = (0.0, 0.0);
    let mut term = 1.0; // x^n / n!
    for n in 0..28 {
        match n % 4 {
            0 => cos += term,
            1 => sin += term,
            2 => cos -= term,
            _ => sin -= term,
        }
        term *= x / f64::from(n + 1);
    }
    (sin, cos)
}

impl Cadence {
    /// Length of one period, in milliseconds.
    pub fn period_ms(&self) -> u32 {
        self.steps.iter().map(|(on, off)| on + off).sum()
    }

    /// One period as 16-bit mono PCM samples.
    pub fn samples(&self) -> Vec<i16> {
        let per_ms = SAMPLE_RATE / 1_000;
        let ramp = (RAMP_MS * per_ms) as f32;
        let peak = self.level.clamp(0.0, 1.0) * f32::from(i16::MAX) / self.frequencies.len().max(1) as f32;
        let mut samples = Vec::with_capacity((self.period_ms() * per_ms) as usize);
        for &(on, off) in self.steps {
            let burst = on * per_ms;
            let mut waves: Vec<Oscillator> = self.frequencies.iter().map(|&f| Oscillator::new(f)).collect();
            for n in 0..burst {
                let envelope = (n as f32 / ramp).min((burst - n) as f32 / ramp).min(1.0);
                let wave: f64 = waves.iter_mut().map(Oscillator::next).sum();
                samples.push((wave as f32 * peak * envelope) as i16);
            }
            samples.resize(samples.len() + (off * per_ms) as usize, 0);
        }
        samples
    }

    /// One period as a WAV file (RIFF, PCM, 16-bit mono).
    pub fn wav(&self) -> Vec<u8> {
        let samples = self.samples();
        let data_len = (samples.len() * 2) as u32;
        let mut wav = Vec::with_capacity(44 + data_len as usize);
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data_len).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
        wav.extend_from_slice(&1u16.to_le_bytes()); // mono
        wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
        wav.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
        wav.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&data_len.to_le_bytes());
        wav.extend(samples.iter().flat_map(|sample| sample.to_le_bytes()));
        wav
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_series_gives_sin_and_cos_below_nyquist() {
        for i in -1000..=1000 {
            let x = std::f64::consts::PI * f64::from(i) / 1000.0;
            let (sin, cos) = sin_cos(x);
            assert!((sin - x.sin()).abs() < 1e-12 && (cos - x.cos()).abs() < 1e-12, "{x}");
        }
    }

    fn window(samples: &[i16], from_ms: u32, to_ms: u32) -> &[i16] {
        let per_ms = (SAMPLE_RATE / 1_000) as usize;
        &samples[from_ms as usize * per_ms..to_ms as usize * per_ms]
    }

    fn rms(samples: &[i16]) -> f64 {
        (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
    }

    #[test]
    fn the_ringtone_sounds_for_a_second_and_is_silent_for_two() {
        let samples = RINGTONE.samples();
        assert_eq!(samples.len(), 3 * SAMPLE_RATE as usize);
        assert!(rms(window(&samples, 20, 980)) > 5_000.0, "loud while on");
        assert!(window(&samples, 1_000, 3_000).iter().all(|&s| s == 0), "silent while off");
        assert!(samples[0].abs() < 100 && samples[7_999].abs() < 1_000, "no click at the edges");
    }

    #[test]
    fn the_call_waiting_tone_is_two_quiet_beeps_of_440_hz_every_ten_seconds() {
        let samples = CALL_WAITING.samples();
        assert_eq!(CALL_WAITING.period_ms(), 10_000);
        let first = window(&samples, 0, 300);
        assert!(rms(window(&samples, 20, 280)) > 1_000.0);
        assert!(rms(window(&samples, 20, 280)) < rms(window(&RINGTONE.samples(), 20, 280)), "quieter than a ring");
        assert!(rms(window(&samples, 520, 780)) > 1_000.0, "second beep");
        assert!(window(&samples, 800, 10_000).iter().all(|&s| s == 0));
        // 440 Hz: 132 upward zero crossings in 300 ms, give or take the ramps.
        let crossings = first.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
        assert!((130..=133).contains(&crossings), "{crossings} crossings");
    }

    #[test]
    fn a_ringing_call_rings_unless_the_agent_is_on_another() {
        use CallStage::*;
        assert_eq!(alert_for([]), None);
        assert_eq!(alert_for([Incoming]), Some(Alert::Ringtone));
        assert_eq!(alert_for([Incoming, Incoming]), Some(Alert::Ringtone));
        assert_eq!(alert_for([Active, Incoming]), Some(Alert::CallWaiting), "on a call");
        assert_eq!(alert_for([Dialing, Incoming]), Some(Alert::CallWaiting), "placing a call");
        assert_eq!(alert_for([Active, Connecting]), None, "answered");
    }

    #[test]
    fn the_oscillator_follows_the_sine_for_a_whole_burst() {
        let mut wave = Oscillator::new(480.0);
        for n in 0..SAMPLE_RATE {
            let exact = (std::f64::consts::TAU * 480.0 * f64::from(n) / f64::from(SAMPLE_RATE)).sin();
            assert!((wave.next() - exact).abs() < 1e-6, "sample {n}");
        }
    }

    #[test]
    fn the_wav_header_describes_the_samples() {
        let wav = RINGTONE.wav();
        let u32_at = |i: usize| u32::from_le_bytes(wav[i..i + 4].try_into().unwrap());
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(u32_at(4) as usize, wav.len() - 8);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!((u32_at(24), u32_at(28)), (SAMPLE_RATE, SAMPLE_RATE * 2));
        assert_eq!(&wav[36..40], b"data");
        assert_eq!(u32_at(40) as usize, RINGTONE.samples().len() * 2);
    }
}
