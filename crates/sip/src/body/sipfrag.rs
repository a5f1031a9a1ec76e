//! `message/sipfrag` bodies (RFC 3420) as the NOTIFYs of a REFER carry them (RFC 3515 §2.4.5):
//! the status line of the response the transfer target got, and nothing else that matters.

use crate::message::{SIP_2_0, reason_phrase};

use super::{BodyError, is_blank};

/// The status line of a sipfrag body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipfragStatus {
    /// The status code, 100–699.
    pub code: u16,
    /// The reason phrase, trimmed (invalid UTF-8 replaced); empty when the sender left it out.
    pub reason: String,
}

impl SipfragStatus {
    /// Reads the status line at the start of a sipfrag body. Blank lines before it, a missing
    /// line end, a missing reason phrase, trailing whitespace and headers after it are all
    /// accepted; a request line is not (it says nothing about how a transfer went).
    pub fn parse(body: &[u8]) -> Result<SipfragStatus, BodyError> {
        if is_blank(body) {
            return Err(BodyError::Empty);
        }
        let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
        let body = &body[start..];
        let line_end = body.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(body.len());
        let line = &body[..line_end];
        let version = line.get(..SIP_2_0.len()).ok_or(BodyError::NotAStatusLine)?;
        if !version.eq_ignore_ascii_case(SIP_2_0.as_bytes()) {
            return Err(BodyError::NotAStatusLine);
        }
        let after_version = &line[SIP_2_0.len()..];
        let rest = trim_start_blanks(after_version);
        if rest.len() == after_version.len() {
            return Err(BodyError::NotAStatusLine);
        }
        let (digits, after_code) = rest.split_at(rest.len().min(3));
        let three_digits = digits.len() == 3 && digits.iter().all(u8::is_ascii_digit);
        let separated = after_code.first().is_none_or(|&b| b == b' ' || b == b'\t');
        if !three_digits || !separated {
            return Err(BodyError::NotAStatusLine);
        }
        let code = digits.iter().fold(0u16, |code, &d| code * 10 + u16::from(d - b'0'));
        if !(100..=699).contains(&code) {
            return Err(BodyError::NotAStatusLine);
        }
        let reason = String::from_utf8_lossy(after_code).trim().to_owned();
        Ok(SipfragStatus { code, reason })
    }

    /// Whether the transfer has a final answer (200 or more), after which the implicit
    /// subscription ends (RFC 3515 §2.4.7).
    pub fn is_final(&self) -> bool {
        self.code >= 200
    }

    /// Whether the transfer target's request succeeded (2xx).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }
}

fn trim_start_blanks(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(bytes.len());
    &bytes[start..]
}

/// The sipfrag body a transferee sends in NOTIFY to report `code` (100–699), with the standard
/// reason phrase: `SIP/2.0 180 Ringing` and a CRLF.
pub fn sipfrag_status(code: u16) -> String {
    format!("{SIP_2_0} {code} {}\r\n", reason_phrase(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(body: &[u8]) -> (u16, String) {
        let status = SipfragStatus::parse(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
        (status.code, status.reason)
    }

    #[test]
    fn status_lines_as_they_arrive() {
        assert_eq!(status(b"SIP/2.0 100 Trying\r\n"), (100, "Trying".into()));
        assert_eq!(status(b"SIP/2.0 180 Ringing"), (180, "Ringing".into()));
        assert_eq!(status(b"SIP/2.0 200 OK   \n"), (200, "OK".into()));
        assert_eq!(status(b"\r\n  SIP/2.0  486 Busy Here \r\n"), (486, "Busy Here".into()));
        assert_eq!(status(b"sip/2.0 603"), (603, "".into()));
        assert_eq!(status(b"SIP/2.0\t503\tService Unavailable\r"), (503, "Service Unavailable".into()));
    }

    #[test]
    fn headers_after_the_status_line_are_ignored() {
        let body = b"SIP/2.0 200 OK\r\nFrom: <sip:b@example.com>;tag=1\r\nContact: <sip:b@192.0.2.1>\r\n\r\n";
        assert_eq!(status(body), (200, "OK".into()));
        let status = SipfragStatus::parse(body).unwrap();
        assert!(status.is_final() && status.is_success());
    }

    #[test]
    fn finality() {
        let ringing = SipfragStatus::parse(b"SIP/2.0 180 Ringing").unwrap();
        assert!(!ringing.is_final() && !ringing.is_success());
        let busy = SipfragStatus::parse(b"SIP/2.0 486 Busy Here").unwrap();
        assert!(busy.is_final() && !busy.is_success());
    }

    #[test]
    fn what_is_not_a_status_line() {
        for body in [
            &b"INVITE sip:b@example.com SIP/2.0\r\n"[..],
            b"SIP/2.0",
            b"SIP/2.0 ",
            b"SIP/2.0200 OK",
            b"SIP/2.0 20 OK",
            b"SIP/2.0 2000 OK",
            b"SIP/2.0 180Ringing",
            b"SIP/2.0 099 Odd",
            b"SIP/2.0 700 Odd",
            b"SIP/3.0 200 OK",
            b"HTTP/1.1 200 OK",
            b"SIP/2.0 1\xff0 x",
        ] {
            assert_eq!(SipfragStatus::parse(body), Err(BodyError::NotAStatusLine), "{body:?}");
        }
        assert_eq!(SipfragStatus::parse(b" \r\n"), Err(BodyError::Empty));
    }

    #[test]
    fn non_utf8_reasons_are_kept_readable() {
        assert_eq!(status(b"SIP/2.0 404 Nicht gefunden \xff"), (404, "Nicht gefunden \u{fffd}".into()));
    }

    #[test]
    fn built_bodies_read_back() {
        assert_eq!(sipfrag_status(100), "SIP/2.0 100 Trying\r\n");
        assert_eq!(sipfrag_status(503), "SIP/2.0 503 Service Unavailable\r\n");
        for code in [100, 180, 183, 200, 202, 404, 486, 487, 503, 603, 699] {
            let status = SipfragStatus::parse(sipfrag_status(code).as_bytes()).unwrap();
            assert_eq!((status.code, status.reason.as_str()), (code, reason_phrase(code)));
        }
    }
}
