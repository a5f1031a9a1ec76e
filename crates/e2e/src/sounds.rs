//! Sounds the tests play, as mono 16-bit WAV files: a steady tone (music on hold) and a
//! speech-like voice for each browser's fake microphone.

use std::f64::consts::PI;

use crate::dice::Dice;

/// A mono 16-bit WAV file of a `frequency` Hz sine at `amplitude` (0 to 1) for `seconds`.
pub fn tone_wav(frequency: f64, amplitude: f64, seconds: u32) -> Vec<u8> {
    const RATE: u32 = 8000;
    let samples = (0..RATE * seconds).map(|n| {
        let t = f64::from(n) / f64::from(RATE);
        amplitude * (2.0 * PI * frequency * t).sin()
    });
    mono_wav(RATE, samples)
}

/// Eight seconds of a voice of its own for each `seed`: syllables of 120 to 320 ms on a
/// fundamental between 140 and 260 Hz with three harmonics, separated by pauses of 40 to 160 ms.
///
/// Chromium's own fake microphone beeps the same 20 ms tone every 500 ms in every browser: two
/// agents on one machine then send each other the same periodic signal, which an echo canceller
/// can lock onto and suppress as an echo of what the page plays. Voices that differ in pitch
/// and rhythm, like two people, give it nothing to lock onto; pauses keep the noise suppressor
/// from taking a syllable for steady noise.
pub fn voice_wav(seed: u64) -> Vec<u8> {
    const RATE: u32 = 16000;
    const SECONDS: u32 = 8;
    let mut random = Dice::seeded(seed);
    let total = (RATE * SECONDS) as usize;
    let mut samples = Vec::with_capacity(total);
    while samples.len() < total {
        let pause = random.between(40.0, 160.0) / 1000.0;
        samples.extend(std::iter::repeat_n(0.0, (pause * f64::from(RATE)) as usize));
        let length = random.between(120.0, 320.0) / 1000.0;
        let pitch = random.between(140.0, 260.0);
        let count = (length * f64::from(RATE)) as usize;
        samples.extend((0..count).map(|n| {
            let t = n as f64 / f64::from(RATE);
            // Rises and falls like a syllable; harmonics weighted 1, 1/2, 0.3, 0.2 (sum 2.0).
            let envelope = (PI * n as f64 / count as f64).sin();
            let wave: f64 = [(1.0, 1.0), (2.0, 0.5), (3.0, 0.3), (4.0, 0.2)]
                .iter()
                .map(|(harmonic, weight)| weight * (2.0 * PI * pitch * harmonic * t).sin())
                .sum();
            0.5 * envelope * wave / 2.0
        }));
    }
    samples.truncate(total);
    mono_wav(RATE, samples.into_iter())
}

/// A mono 16-bit PCM WAV file of `samples` (-1 to 1) at `rate` Hz.
fn mono_wav(rate: u32, samples: impl ExactSizeIterator<Item = f64>) -> Vec<u8> {
    let data_bytes = 2 * samples.len() as u32;
    let mut wav = Vec::with_capacity(44 + data_bytes as usize);
    for part in [&b"RIFF"[..], &(36 + data_bytes).to_le_bytes(), b"WAVEfmt ", &16u32.to_le_bytes()] {
        wav.extend_from_slice(part);
    }
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&rate.to_le_bytes());
    wav.extend_from_slice(&(rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_bytes.to_le_bytes());
    for sample in samples {
        let value = (sample.clamp(-1.0, 1.0) * f64::from(i16::MAX)) as i16;
        wav.extend_from_slice(&value.to_le_bytes());
    }
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_differ_by_seed_and_have_pauses() {
        let (a, b) = (voice_wav(1), voice_wav(2));
        assert_eq!(a.len(), 44 + 2 * 16000 * 8);
        assert_ne!(a, b);
        let samples: Vec<i16> = a[44..].chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
        let silent = samples.iter().filter(|s| **s == 0).count();
        assert!(silent > samples.len() / 10 && silent < samples.len() / 2, "{silent} silent samples");
        assert!(samples.iter().any(|s| s.unsigned_abs() > 8000), "the voice is audible");
    }

    #[test]
    fn the_tone_has_its_length() {
        assert_eq!(tone_wav(440.0, 0.5, 3).len(), 44 + 2 * 8000 * 3);
    }
}
