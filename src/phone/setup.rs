//! The agent's configuration from `framephone.json` and the sign-in form, its stable instance
//! id (RFC 5626, kept in `localStorage`) and its random generator: ChaCha20 keyed with 32 bytes
//! from `crypto.getRandomValues`, so that tags, branches and Call-IDs cannot be predicted.

use sip::agent::{AgentConfig, ConfigError, Server, TransportKind, UserAgent};
use sip::auth::AuthCredentials;
use sip::message::Uri;
use sip::random::ChaCha;

use crate::config::Config;
use crate::i18n::{t, t_args};

const INSTANCE_KEY: &str = "framephone.instance";
/// The pop-out's (a window of its own): during a call's move from a frame to the pop-out both
/// are registered, and where the two share storage (a CRM on the widget's own site) one
/// instance id would make the frame's unregistration remove the pop-out's binding.
const TOP_INSTANCE_KEY: &str = "framephone.instance.top";

/// Why a sign-in cannot start; the text finishes "Sign-in failed: …".
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The username is empty or holds characters a SIP address cannot.
    Username,
    /// No password was typed.
    Password,
    /// The username and the configured domain do not make a SIP address.
    Address {
        /// What was tried.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The browser has no cryptographic random numbers.
    NoRandom,
    /// The SIP core refused the settings.
    Agent(#[from] ConfigError),
}

impl std::fmt::Display for SignInError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            SignInError::Username => t("session.sign-in.username"),
            SignInError::Password => t("session.sign-in.password"),
            SignInError::Address { address, reason } => {
                t_args("session.sign-in.address", &[("address", address), ("reason", reason)])
            }
            SignInError::NoRandom => t_args("session.sign-in.no-random", &[("api", "crypto.getRandomValues")]),
            // The SIP core's own words.
            SignInError::Agent(error) => error.to_string(),
        };
        f.write_str(&text)
    }
}

/// An agent for the address of SIP user `username` on the configured servers, with these
/// credentials (the password, a kept HA1, or credentials the service minted for that user).
pub(super) fn agent(config: &Config, username: &str, credentials: AuthCredentials) -> Result<UserAgent, SignInError> {
    if username.is_empty() || !username.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
    {
        return Err(SignInError::Username);
    }
    if matches!(&credentials, AuthCredentials::Password(c) if c.password.is_empty()) {
        return Err(SignInError::Password);
    }
    let address = format!("sip:{username}@{}", config.sip.domain);
    let aor = Uri::parse(address.as_bytes()).map_err(|e| SignInError::Address { address, reason: e.to_string() })?;
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
    // The Messages tab shows colleagues' messages.
    agent_config.accept_messages = true;
    Ok(UserAgent::new(agent_config, Box::new(random))?)
}

/// 256 bits from the browser's cryptographic generator; without it the phone does not start,
/// since guessable tags and branches would let others forge requests into its calls.
fn random_seed() -> Result<[u8; 32], SignInError> {
    let mut bytes = [0u8; 32];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if filled { Ok(bytes) } else { Err(SignInError::NoRandom) }
}

/// The same `urn:uuid:` every time this browser runs the phone (one for framed pages, one for
/// the pop-out), so that the registrar replaces our old binding instead of adding one per page
/// load.
fn instance_id(random: &mut ChaCha) -> String {
    let storage = crate::browser::local_storage();
    let key = if crate::browser::framed() { INSTANCE_KEY } else { TOP_INSTANCE_KEY };
    if let Some(id) = storage.as_ref().and_then(|s| s.get_item(key).ok().flatten()).filter(|id| {
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
        let _ = storage.set_item(key, &id);
    }
    id
}
