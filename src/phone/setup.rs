//! The agent's configuration from `framephone.json` and the sign-in form, its stable instance
//! id (RFC 5626, kept in `localStorage`) and its random generator: ChaCha20 keyed with 32 bytes
//! from `crypto.getRandomValues`, so that tags, branches and Call-IDs cannot be predicted.

use sip::agent::{AgentConfig, Server, TransportKind, UserAgent};
use sip::auth::AuthCredentials;
use sip::message::Uri;
use sip::random::ChaCha;

use crate::config::Config;

const INSTANCE_KEY: &str = "framephone.instance";

/// An agent on the configured servers for these credentials (the password, or a kept HA1).
pub(super) fn agent(config: &Config, credentials: AuthCredentials) -> Result<UserAgent, String> {
    let username = credentials.username();
    if username.is_empty() || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
    {
        return Err("Enter your SIP username (letters, digits and - _ . only).".into());
    }
    if matches!(&credentials, AuthCredentials::Password(c) if c.password.is_empty()) {
        return Err("Enter your password.".into());
    }
    let aor = Uri::parse(format!("sip:{username}@{}", config.sip.domain).as_bytes())
        .map_err(|e| format!("sip:{username}@{} is not a SIP address: {e}", config.sip.domain))?;
    let servers = config
        .sip
        .servers
        .iter()
        .map(|address| Server {
            address: address.clone(),
            transport: if address.starts_with("wss://") { TransportKind::Wss } else { TransportKind::Ws },
        })
        .collect();
    let mut random = ChaCha::from_seed(random_seed()?);
    let instance = instance_id(&mut random);
    let mut agent_config = AgentConfig::new(aor, credentials, servers, instance);
    agent_config.user_agent = concat!("Framephone/", env!("CARGO_PKG_VERSION")).to_owned();
    // A browser tab can vanish without unpublishing: keep a stale state short-lived.
    agent_config.publish_expires = 600;
    agent_config.max_calls = config.sip.max_calls;
    agent_config.transfer_targets = config.sip.transfer_targets.clone();
    UserAgent::new(agent_config, Box::new(random)).map_err(|e| e.to_string())
}

/// 256 bits from the browser's cryptographic generator; without it the phone does not start,
/// since guessable tags and branches would let others forge requests into its calls.
fn random_seed() -> Result<[u8; 32], String> {
    let mut bytes = [0u8; 32];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if filled {
        Ok(bytes)
    } else {
        Err("This browser offers no secure random numbers (crypto.getRandomValues).".into())
    }
}

/// The same `urn:uuid:` every time this browser runs the phone, so that the registrar replaces
/// our old binding instead of adding one per page load.
fn instance_id(random: &mut ChaCha) -> String {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(id) = storage.as_ref().and_then(|s| s.get_item(INSTANCE_KEY).ok().flatten()).filter(|id| {
        // Stored text is input too: only a well-formed UUID URN goes into our Contact.
        id.starts_with("urn:uuid:") && id.len() <= 45 && id[9..].bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
    }) {
        return id;
    }
    let (high, low) = (random.next_u64(), random.next_u64());
    let id = format!(
        "urn:uuid:{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | (low >> 48) & 0x3fff,
        low & 0xffff_ffff_ffff
    );
    if let Some(storage) = storage {
        let _ = storage.set_item(INSTANCE_KEY, &id);
    }
    id
}
