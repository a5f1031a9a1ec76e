//! The agent's configuration from `framephone.json` and the sign-in form, its stable instance
//! id (RFC 5626, kept in `localStorage`) and its random seed (`crypto.getRandomValues`).

use sip::agent::{AgentConfig, Server, TransportKind, UserAgent};
use sip::auth::AuthCredentials;
use sip::message::Uri;
use sip::random::SplitMix;

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
    let mut seed = random_seed();
    let instance = instance_id(&mut seed);
    let mut agent_config = AgentConfig::new(aor, credentials, servers, instance);
    agent_config.user_agent = concat!("Framephone/", env!("CARGO_PKG_VERSION")).to_owned();
    // A browser tab can vanish without unpublishing: keep a stale state short-lived.
    agent_config.publish_expires = 600;
    UserAgent::new(agent_config, Box::new(seed)).map_err(|e| e.to_string())
}

/// 64 random bits from the browser's cryptographic generator.
fn random_seed() -> SplitMix {
    let mut bytes = [0u8; 8];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        bytes = (js_sys::Math::random().to_bits() ^ js_sys::Date::now().to_bits()).to_le_bytes();
    }
    SplitMix(u64::from_le_bytes(bytes))
}

/// The same `urn:uuid:` every time this browser runs the phone, so that the registrar replaces
/// our old binding instead of adding one per page load.
fn instance_id(random: &mut SplitMix) -> String {
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(id) =
        storage.as_ref().and_then(|s| s.get_item(INSTANCE_KEY).ok().flatten()).filter(|id| id.starts_with("urn:uuid:"))
    {
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
