//! `Via: SIP/2.0/WSS host:port;branch=z9hG4bK…;received=…;rport`.

use super::{HeaderError, Params, parse_params};
use crate::message::{split_host_port, trim_lws};

/// The magic cookie that marks an RFC 3261 branch (§8.1.1.7).
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// One Via value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via {
    /// `SIP/2.0`.
    pub protocol: String,
    /// `UDP`, `TCP`, `TLS`, `WS`, `WSS`, … in upper case.
    pub transport: String,
    /// The sent-by host.
    pub host: String,
    /// The sent-by port.
    pub port: Option<u16>,
    /// Parameters.
    pub params: Params,
}

impl Via {
    /// Parses one Via value (LWS is allowed around `/`).
    pub fn parse(value: &[u8]) -> Result<Via, HeaderError> {
        let value = trim_lws(value);
        let text = std::str::from_utf8(value).map_err(|_| HeaderError::Syntax("it is not ASCII"))?;
        let mut rest = text;
        let mut parts = [""; 3];
        for (index, part) in parts.iter_mut().enumerate() {
            rest = rest.trim_start_matches([' ', '\t']);
            let end = rest.find(['/', ' ', '\t']).unwrap_or(rest.len());
            *part = &rest[..end];
            rest = rest[end..].trim_start_matches([' ', '\t']);
            if index < 2 {
                rest = rest.strip_prefix('/').ok_or(HeaderError::Syntax("it must start with SIP/2.0/transport"))?;
            }
        }
        if parts.iter().any(|p| p.is_empty()) {
            return Err(HeaderError::Syntax("it must start with SIP/2.0/transport"));
        }
        let end = rest.find(';').unwrap_or(rest.len());
        let sent_by = rest[..end].trim_matches([' ', '\t']);
        if sent_by.is_empty() {
            return Err(HeaderError::Syntax("it has no sent-by host"));
        }
        let (host, port) = split_host_port(sent_by).map_err(HeaderError::Uri)?;
        Ok(Via {
            protocol: format!("{}/{}", parts[0].to_ascii_uppercase(), parts[1]),
            transport: parts[2].to_ascii_uppercase(),
            host,
            port,
            params: parse_params(&rest.as_bytes()[end..])?,
        })
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch").flatten()
    }

    /// Whether the branch carries the RFC 3261 magic cookie.
    pub fn is_rfc3261(&self) -> bool {
        self.branch().is_some_and(|b| b.starts_with(BRANCH_COOKIE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_forms() {
        let via = Via::parse(b"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;rport").unwrap();
        assert_eq!((via.protocol.as_str(), via.transport.as_str()), ("SIP/2.0", "WSS"));
        assert_eq!(via.host, "df7jal23ls0d.invalid");
        assert!(via.is_rfc3261());
        assert_eq!(via.params.get("rport"), Some(None));
        let spaced = Via::parse(b"SIP / 2.0 / udp  192.0.2.1:5060 ;received=192.0.2.2;branch=abc").unwrap();
        assert_eq!((spaced.transport.as_str(), spaced.port), ("UDP", Some(5060)));
        assert!(!spaced.is_rfc3261());
        let v6 = Via::parse(b"SIP/2.0/TCP [2001:db8::9]:5060;branch=z9hG4bK1").unwrap();
        assert_eq!(v6.host, "[2001:db8::9]");
    }

    #[test]
    fn malformed_vias() {
        for bad in [
            &b""[..],
            b"SIP/2.0 host",
            b"SIP/2.0/UDP",
            b"SIP/2.0/UDP ;branch=1",
            b"SIP/2.0/UDP host:port",
            b"SIP//UDP h",
        ] {
            assert!(Via::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
