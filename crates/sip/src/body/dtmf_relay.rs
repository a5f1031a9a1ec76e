//! DTMF sent in INFO requests: `application/dtmf-relay` (`Signal=5` and `Duration=160` lines,
//! the de facto format of Cisco and most PBXes) and `application/dtmf` (the signal alone).

use std::fmt;
use std::str::FromStr;

use super::{BodyError, excerpt, is_blank};

/// One DTMF signal: a digit 0-9, `*`, `#`, or A-D.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dtmf(u8);

/// The signals in RFC 4733 event code order: the index of a signal is its code.
const SIGNALS: &[u8; 16] = b"0123456789*#ABCD";

impl Dtmf {
    /// The signal `c` stands for; `a`-`d` are accepted for A-D.
    pub fn new(c: char) -> Result<Dtmf, BodyError> {
        let upper = c.to_ascii_uppercase();
        u8::try_from(upper)
            .ok()
            .filter(|b| SIGNALS.contains(b))
            .map(Dtmf)
            .ok_or_else(|| BodyError::InvalidDtmf(c.to_string()))
    }

    /// The signal with RFC 4733 event code `code` (0-9, 10 for `*`, 11 for `#`, 12-15 for A-D).
    pub fn from_event_code(code: u8) -> Result<Dtmf, BodyError> {
        SIGNALS.get(usize::from(code)).map(|&b| Dtmf(b)).ok_or_else(|| BodyError::InvalidDtmf(code.to_string()))
    }

    /// The signal as a character: `0`-`9`, `*`, `#`, `A`-`D`.
    pub fn as_char(self) -> char {
        char::from(self.0)
    }

    /// Its RFC 4733 event code.
    pub fn event_code(self) -> u8 {
        // Every Dtmf holds a byte of SIGNALS, and SIGNALS has 16 entries.
        SIGNALS.iter().position(|&b| b == self.0).and_then(|i| u8::try_from(i).ok()).unwrap_or_default()
    }

    /// Reads an `application/dtmf` body: the signal alone, surrounding whitespace ignored.
    pub fn parse_body(body: &[u8]) -> Result<Dtmf, BodyError> {
        if is_blank(body) {
            return Err(BodyError::Empty);
        }
        String::from_utf8_lossy(body).trim().parse()
    }

    /// An `application/dtmf` body.
    pub fn to_body(self) -> String {
        self.to_string()
    }
}

impl FromStr for Dtmf {
    type Err = BodyError;

    /// A signal as sent in a body: one character (`5`, `*`, `a`), or a number that is an
    /// RFC 4733 event code (`10` for `*`, `11` for `#`), which some senders use instead.
    fn from_str(text: &str) -> Result<Dtmf, BodyError> {
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Dtmf::new(c),
            _ if !text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().map_err(|_| BodyError::InvalidDtmf(text.to_owned())).and_then(Dtmf::from_event_code)
            }
            _ => Err(BodyError::InvalidDtmf(excerpt(text))),
        }
    }
}

impl TryFrom<char> for Dtmf {
    type Error = BodyError;

    fn try_from(c: char) -> Result<Dtmf, BodyError> {
        Dtmf::new(c)
    }
}

impl fmt::Display for Dtmf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

/// An `application/dtmf-relay` body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DtmfRelay {
    /// The signal.
    pub signal: Dtmf,
    /// How long the key was pressed, in milliseconds, when the sender said.
    pub duration_ms: Option<u32>,
}

impl DtmfRelay {
    /// Reads the body: `key=value` lines ending in CRLF or LF, keys in any case, spaces around
    /// keys and values ignored, unknown keys skipped, the first `Signal` and `Duration` used.
    pub fn parse(body: &[u8]) -> Result<DtmfRelay, BodyError> {
        if is_blank(body) {
            return Err(BodyError::Empty);
        }
        let text = String::from_utf8_lossy(body);
        let (mut signal, mut duration_ms) = (None, None);
        for line in text.split(['\r', '\n']) {
            let Some((key, value)) = line.split_once('=') else { continue };
            let (key, value) = (key.trim(), value.trim());
            if key.eq_ignore_ascii_case("signal") && signal.is_none() {
                signal = Some(value.parse::<Dtmf>()?);
            } else if key.eq_ignore_ascii_case("duration") && duration_ms.is_none() {
                let duration = value.parse().map_err(|_| {
                    BodyError::invalid("the dtmf-relay Duration", value, "milliseconds as a whole number")
                })?;
                duration_ms = Some(duration);
            }
        }
        let signal = signal.ok_or(BodyError::MissingSignal)?;
        Ok(DtmfRelay { signal, duration_ms })
    }

    /// The body: `Signal=5` and, when known, `Duration=160`, each line ending in CRLF.
    pub fn to_body(&self) -> String {
        match self.duration_ms {
            Some(duration) => format!("Signal={}\r\nDuration={duration}\r\n", self.signal),
            None => format!("Signal={}\r\n", self.signal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay(body: &str) -> DtmfRelay {
        DtmfRelay::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{e}: {body:?}"))
    }

    #[test]
    fn every_signal_and_its_event_code() {
        for (code, c) in "0123456789*#ABCD".chars().enumerate() {
            let dtmf = Dtmf::new(c).unwrap();
            assert_eq!(dtmf.as_char(), c);
            assert_eq!(usize::from(dtmf.event_code()), code);
            assert_eq!(Dtmf::from_event_code(dtmf.event_code()), Ok(dtmf));
            assert_eq!(dtmf.to_string().parse::<Dtmf>(), Ok(dtmf));
        }
        assert_eq!(Dtmf::new('b').map(Dtmf::as_char), Ok('B'));
        assert_eq!(Dtmf::try_from('#').map(Dtmf::event_code), Ok(11));
    }

    #[test]
    fn what_is_not_a_signal() {
        for c in ['E', 'e', ' ', 'ٳ', '\0', '!', 'p'] {
            assert_eq!(Dtmf::new(c), Err(BodyError::InvalidDtmf(c.to_string())));
        }
        assert_eq!(Dtmf::from_event_code(16), Err(BodyError::InvalidDtmf("16".into())));
        for text in ["", "16", "99", "123", "-1", "5 5", "12345678901234567890"] {
            assert!(matches!(text.parse::<Dtmf>(), Err(BodyError::InvalidDtmf(_))), "{text:?}");
        }
        let long = "x".repeat(1000);
        assert_eq!(long.parse::<Dtmf>(), Err(BodyError::InvalidDtmf("x".repeat(40))));
    }

    #[test]
    fn relay_bodies_as_they_arrive() {
        assert_eq!(relay("Signal=5\r\nDuration=160\r\n"), DtmfRelay { signal: Dtmf(b'5'), duration_ms: Some(160) });
        assert_eq!(relay("signal = *\nduration = 250\n"), DtmfRelay { signal: Dtmf(b'*'), duration_ms: Some(250) });
        assert_eq!(relay("SIGNAL=11"), DtmfRelay { signal: Dtmf(b'#'), duration_ms: None });
        assert_eq!(relay("Signal=10\r\nDuration=100"), DtmfRelay { signal: Dtmf(b'*'), duration_ms: Some(100) });
        assert_eq!(relay("  Signal= d  \r\n\r\nVolume=10\r\n"), DtmfRelay { signal: Dtmf(b'D'), duration_ms: None });
        assert_eq!(relay("Duration=80\r\nSignal=0\r\nSignal=1\r\n").signal, Dtmf(b'0'));
    }

    #[test]
    fn malformed_relay_bodies() {
        assert_eq!(DtmfRelay::parse(b""), Err(BodyError::Empty));
        assert_eq!(DtmfRelay::parse(b"Duration=160\r\n"), Err(BodyError::MissingSignal));
        assert_eq!(DtmfRelay::parse(b"Signal\r\n5\r\n"), Err(BodyError::MissingSignal));
        assert_eq!(DtmfRelay::parse(b"Signal=\r\n"), Err(BodyError::InvalidDtmf("".into())));
        assert_eq!(DtmfRelay::parse(b"Signal=X\r\n"), Err(BodyError::InvalidDtmf("X".into())));
        assert_eq!(
            DtmfRelay::parse(b"Signal=1\r\nDuration=-5\r\n"),
            Err(BodyError::invalid("the dtmf-relay Duration", "-5", "milliseconds as a whole number"))
        );
        assert_eq!(
            DtmfRelay::parse(b"Signal=1\r\nDuration=99999999999\r\n"),
            Err(BodyError::invalid("the dtmf-relay Duration", "99999999999", "milliseconds as a whole number"))
        );
    }

    #[test]
    fn built_bodies_read_back() {
        let pressed = DtmfRelay { signal: Dtmf::new('#').unwrap(), duration_ms: Some(160) };
        assert_eq!(pressed.to_body(), "Signal=#\r\nDuration=160\r\n");
        assert_eq!(relay(&pressed.to_body()), pressed);
        let unknown_length = DtmfRelay { signal: Dtmf::new('7').unwrap(), duration_ms: None };
        assert_eq!(unknown_length.to_body(), "Signal=7\r\n");
        assert_eq!(relay(&unknown_length.to_body()), unknown_length);
    }

    #[test]
    fn plain_dtmf_bodies() {
        assert_eq!(Dtmf::parse_body(b"5"), Ok(Dtmf(b'5')));
        assert_eq!(Dtmf::parse_body(b" #\r\n"), Ok(Dtmf(b'#')));
        assert_eq!(Dtmf::parse_body(b"11"), Ok(Dtmf(b'#')));
        assert_eq!(Dtmf::parse_body(b"\r\n"), Err(BodyError::Empty));
        assert_eq!(Dtmf::parse_body(b"\xff"), Err(BodyError::InvalidDtmf("\u{fffd}".into())));
        assert_eq!(Dtmf::new('a').unwrap().to_body(), "A");
    }
}
