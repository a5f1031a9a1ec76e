//! What the agent is told when a TURN server refuses the phone: the browser reports each failed
//! STUN or TURN exchange as an `icecandidateerror` event (its server URL, a STUN error code and
//! the server's or the browser's text); this module picks the TURN refusals out of them and words
//! them so that the agent can pass them on, naming the `framephone.json` entry to check.
//!
//! Pure: the browser shell forwards the event's fields, this module decides.

use crate::config::IceServer;

/// The fields of one `icecandidateerror` event (`RTCPeerConnectionIceErrorEvent`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateError {
    /// `url`: the STUN or TURN server, as the browser spells it
    /// (`turn:127.0.0.1:3478?transport=udp`).
    pub url: String,
    /// `errorCode`: a STUN error code (300–699), or 700–799 for the browser's own failures
    /// (server unreachable).
    pub code: u16,
    /// `errorText`: the server's reason phrase or the browser's description.
    pub text: String,
}

/// A TURN server's refusal, in words for the agent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TurnRefusal {
    /// The server does not accept the configured user name and credential (or the REST API
    /// credential expired).
    #[error("The TURN server {server} refused the credentials ({status}): check {entry}.username and credential.")]
    Credentials {
        /// The server's URL as configured (or as the browser reported it).
        server: String,
        /// Code and reason ("401 Unauthorized").
        status: String,
        /// The configuration entry (`ice.servers[0]`, or `ice.servers` when none matched).
        entry: String,
    },
    /// The server accepted the credentials but relays nothing for this call (forbidden, full).
    #[error(
        "The TURN server {server} refused to relay the call's audio ({status}): check {entry} with its administrator."
    )]
    Relay {
        /// The server's URL as configured (or as the browser reported it).
        server: String,
        /// Code and reason ("486 Allocation Quota Reached").
        status: String,
        /// The configuration entry (`ice.servers[0]`, or `ice.servers` when none matched).
        entry: String,
    },
}

/// The longest text of the browser's kept in a message.
const MAX_TEXT_CHARS: usize = 80;

/// The refusal an `icecandidateerror` event reports, or none: events of STUN servers, the
/// browser's own failures (7xx: unreachable from one of the machine's interfaces, which another
/// interface may well reach) and transient answers the browser retries by itself (437 Allocation
/// Mismatch, 438 Stale Nonce) are not the agent's business. `servers` are the configured ones,
/// to name the entry to check.
pub fn refusal(error: &CandidateError, servers: &[IceServer]) -> Option<TurnRefusal> {
    let reported = ServerAddress::parse(&error.url)?;
    if !reported.turn || !(400..600).contains(&error.code) || matches!(error.code, 437 | 438) {
        return None;
    }
    let configured = servers.iter().enumerate().find_map(|(index, server)| {
        let url = server.urls.iter().find(|url| ServerAddress::parse(url).as_ref() == Some(&reported))?;
        Some((index, url))
    });
    let (server, entry) = match configured {
        Some((index, url)) => (url.clone(), format!("ice.servers[{index}]")),
        None => (shown(&error.url), "ice.servers".to_owned()),
    };
    let status = format!("{} {}", error.code, reason(error.code).map_or_else(|| shown(&error.text), str::to_owned));
    Some(match error.code {
        401 | 431 | 441 => TurnRefusal::Credentials { server, status, entry },
        _ => TurnRefusal::Relay { server, status, entry },
    })
}

/// The reason phrase of the STUN and TURN error codes a server sends (RFC 8489 §14.8, RFC 8656
/// §18): browsers report their own descriptions instead, which are less telling.
fn reason(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        420 => "Unknown Attribute",
        431 => "Integrity Check Failure",
        440 => "Address Family not Supported",
        441 => "Wrong Credentials",
        442 => "Unsupported Transport Protocol",
        443 => "Peer Address Family Mismatch",
        486 => "Allocation Quota Reached",
        500 => "Server Error",
        508 => "Insufficient Capacity",
        _ => return None,
    })
}

/// Text from the browser as quoted in a message: one line, cut when long.
fn shown(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let clean = clean.trim();
    if clean.chars().count() <= MAX_TEXT_CHARS {
        return clean.to_owned();
    }
    let cut: String = clean.chars().take(MAX_TEXT_CHARS).collect();
    format!("{cut}…")
}

/// Where a STUN or TURN URL points: enough to tell the configured entry of a reported URL.
#[derive(Debug, PartialEq, Eq)]
struct ServerAddress {
    /// `turn:` or `turns:` (not `stun:`/`stuns:`).
    turn: bool,
    /// `turns:`/`stuns:`: over TLS.
    secure: bool,
    /// The host in lower case, without IPv6 brackets.
    host: String,
    /// The port, or the scheme's default.
    port: u16,
}

impl ServerAddress {
    /// Reads `scheme:host[:port][?transport=…]` (RFC 7064, RFC 7065); none for anything else.
    fn parse(url: &str) -> Option<ServerAddress> {
        let (scheme, rest) = url.split_once(':')?;
        let (turn, secure) = match scheme.to_ascii_lowercase().as_str() {
            "stun" => (false, false),
            "stuns" => (false, true),
            "turn" => (true, false),
            "turns" => (true, true),
            _ => return None,
        };
        let authority = rest.split('?').next().unwrap_or_default();
        let authority = authority.strip_prefix("//").unwrap_or(authority);
        let default_port = if secure { 5349 } else { 3478 };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            // [IPv6]:port
            let (host, after) = bracketed.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(port) => port.parse().ok()?,
                None if after.is_empty() => default_port,
                None => return None,
            };
            (host, port)
        } else if authority.matches(':').count() > 1 {
            // A bare IPv6 address, as browsers report one: its last group is the port.
            let (host, port) = authority.rsplit_once(':')?;
            (host, port.parse().ok()?)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, port.parse().ok()?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() {
            return None;
        }
        Some(ServerAddress { turn, secure, host: host.to_ascii_lowercase(), port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(urls: &[&str]) -> IceServer {
        IceServer {
            urls: urls.iter().map(|u| (*u).to_owned()).collect(),
            username: Some("agent".into()),
            credential: Some("secret".into()),
        }
    }

    fn error(url: &str, code: u16, text: &str) -> CandidateError {
        CandidateError { url: url.into(), code, text: text.into() }
    }

    fn servers() -> Vec<IceServer> {
        vec![
            IceServer { urls: vec!["stun:stun.example.com".into()], username: None, credential: None },
            turn(&["turn:TURN.example.com:3478", "turns:turn.example.com"]),
            turn(&["turn:127.0.0.1:33478"]),
            turn(&["turn:[::1]:3478?transport=tcp"]),
        ]
    }

    fn message(error: &CandidateError) -> Option<String> {
        refusal(error, &servers()).map(|r| r.to_string())
    }

    #[test]
    fn a_refused_password_names_the_server_and_the_entry_to_check() {
        // Chromium's wording for a 401 after the challenge was answered.
        let event =
            error("turn:127.0.0.1:33478?transport=udp", 401, "Failed to authenticate with the server after challenge.");
        assert_eq!(
            message(&event).as_deref(),
            Some(
                "The TURN server turn:127.0.0.1:33478 refused the credentials (401 Unauthorized): \
                 check ice.servers[2].username and credential."
            )
        );
        for code in [431, 441] {
            let refused = refusal(&error("turn:127.0.0.1:33478?transport=udp", code, ""), &servers());
            assert!(matches!(refused, Some(TurnRefusal::Credentials { .. })), "{code}: {refused:?}");
        }
    }

    #[test]
    fn the_configured_url_is_found_whatever_the_browser_adds() {
        let named = |url: &str| match refusal(&error(url, 401, "Unauthorized"), &servers()) {
            Some(TurnRefusal::Credentials { server, entry, .. }) => Some((server, entry)),
            _ => None,
        };
        // Host case, default ports, transport, the browser's bare IPv6 spelling.
        assert_eq!(
            named("turn:turn.example.com:3478?transport=tcp"),
            Some(("turn:TURN.example.com:3478".into(), "ice.servers[1]".into()))
        );
        assert_eq!(
            named("turns:turn.example.com:5349?transport=tcp"),
            Some(("turns:turn.example.com".into(), "ice.servers[1]".into()))
        );
        assert_eq!(
            named("turn:::1:3478?transport=udp"),
            Some(("turn:[::1]:3478?transport=tcp".into(), "ice.servers[3]".into()))
        );
        // Another port or scheme is another server: the reported URL, the whole list to check.
        assert_eq!(
            named("turn:127.0.0.1:3478?transport=udp"),
            Some(("turn:127.0.0.1:3478?transport=udp".into(), "ice.servers".into()))
        );
        assert_eq!(
            named("turns:127.0.0.1:33478?transport=tcp"),
            Some(("turns:127.0.0.1:33478?transport=tcp".into(), "ice.servers".into()))
        );
    }

    #[test]
    fn other_refusals_say_the_relay_was_refused() {
        assert_eq!(
            message(&error("turn:127.0.0.1:33478?transport=udp", 486, "Allocation Quota Reached")).as_deref(),
            Some(
                "The TURN server turn:127.0.0.1:33478 refused to relay the call's audio (486 Allocation Quota \
                 Reached): check ice.servers[2] with its administrator."
            )
        );
        let forbidden = refusal(&error("turn:127.0.0.1:33478?transport=udp", 403, "Forbidden IP"), &servers());
        assert!(matches!(forbidden, Some(TurnRefusal::Relay { .. })), "{forbidden:?}");
        // A code without a known reason keeps the browser's text, on one line and short.
        let odd = message(&error("turn:127.0.0.1:33478?transport=udp", 499, &format!("odd\n{}", "x".repeat(200))));
        let odd = odd.expect("a 4xx is a refusal");
        assert!(odd.contains("(499 odd xxx"), "{odd}");
        assert!(odd.contains("…)"), "{odd}");
        assert!(!odd.contains('\n'), "{odd}");
    }

    #[test]
    fn stun_errors_unreachable_servers_and_retried_answers_are_not_shown() {
        for event in [
            error("stun:stun.example.com:3478", 401, "Unauthorized"),
            error("turn:127.0.0.1:33478?transport=udp", 701, "TURN host lookup received error."),
            error("turn:127.0.0.1:33478?transport=udp", 438, "Stale Nonce"),
            error("turn:127.0.0.1:33478?transport=udp", 437, "Allocation Mismatch"),
            error("turn:127.0.0.1:33478?transport=udp", 300, "Try Alternate"),
            error("", 401, "Unauthorized"),
            error("http://127.0.0.1:33478", 401, "Unauthorized"),
        ] {
            assert_eq!(message(&event), None, "{event:?}");
        }
    }

    #[test]
    fn addresses_are_read_with_their_default_ports() {
        let address = |url: &str| ServerAddress::parse(url).map(|a| (a.turn, a.secure, a.host, a.port));
        assert_eq!(address("turn:t.test"), Some((true, false, "t.test".into(), 3478)));
        assert_eq!(address("TURNS:T.test?transport=tcp"), Some((true, true, "t.test".into(), 5349)));
        assert_eq!(address("stun:[2001:db8::1]"), Some((false, false, "2001:db8::1".into(), 3478)));
        assert_eq!(address("turn:[2001:db8::1]:80"), Some((true, false, "2001:db8::1".into(), 80)));
        assert_eq!(address("turn:t.test:port"), None);
        assert_eq!(address("turn:"), None);
        assert_eq!(address("turn:[::1]x"), None);
    }
}
