//! Short-lived call credentials, so that agents never type a SIP password and `framephone.json`
//! carries no TURN secret: the service shares one secret with the tenant's SIP servers (Kamailio
//! `auth_ephemeral`) and one with its TURN servers (coturn `use-auth-secret`), and mints per agent
//! `username = "<expiry>:<user>"`, `password = base64(HMAC(secret, username))`. The servers
//! recompute the HMAC and refuse a username whose expiry (Unix seconds) has passed; Kamailio also
//! refuses credentials whose user is not the request's own address (`autheph_check_from`).

pub mod store;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::accounts::FieldError;
use crate::secret::Secret;

/// Which servers the credentials are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The SIP servers (Kamailio `auth_ephemeral`).
    Sip,
    /// The TURN servers (coturn `use-auth-secret`).
    Turn,
}

impl Kind {
    /// The name stored and used in paths.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Sip => "sip",
            Kind::Turn => "turn",
        }
    }

    /// Reads a path's `sip` or `turn`.
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "sip" => Some(Kind::Sip),
            "turn" => Some(Kind::Turn),
            _ => None,
        }
    }
}

/// The HMAC's hash: Kamailio's `sha_algorithm` 0 to 3; coturn's REST API uses SHA-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Hash {
    /// HMAC-SHA1 (`sha_algorithm` 0; coturn).
    Sha1,
    /// HMAC-SHA256 (`sha_algorithm` 1), the one to choose for a new Kamailio.
    Sha256,
    /// HMAC-SHA384 (`sha_algorithm` 2).
    Sha384,
    /// HMAC-SHA512 (`sha_algorithm` 3).
    Sha512,
}

impl Hash {
    fn algorithm(self) -> hmac::Algorithm {
        match self {
            Hash::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
            Hash::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// The shortest lifetime: the phone renews at half of it, so a shorter one would have it asking
/// the service all the time.
pub const MIN_TTL_SECONDS: u32 = 60;
/// The longest: a shift.
pub const MAX_TTL_SECONDS: u32 = 12 * 60 * 60;
/// The most TURN URLs one tenant lists.
pub const MAX_TURN_URLS: usize = 8;

/// Everything but the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    /// The HMAC's hash, as the servers are configured.
    pub hash: Hash,
    /// How long minted credentials stay good, in seconds.
    pub ttl_seconds: u32,
    /// TURN: the servers' `turn:` and `turns:` URLs, handed to the phone with the credentials.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
}

/// Checks what an administrator sets for `kind`; the error names the field at fault.
pub fn check(kind: Kind, settings: &Settings) -> Result<(), FieldError> {
    if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&settings.ttl_seconds) {
        return Err(FieldError::new(
            "ttlSeconds",
            format!(
                "must be from {MIN_TTL_SECONDS} (a minute) to {MAX_TTL_SECONDS} (12 hours), not {}",
                settings.ttl_seconds
            ),
        ));
    }
    match kind {
        Kind::Sip if !settings.urls.is_empty() => Err(FieldError::new(
            "urls",
            "SIP credentials take no URLs: the widget configuration's sip.servers lists the SIP servers",
        )),
        Kind::Sip => Ok(()),
        Kind::Turn if settings.hash != Hash::Sha1 => {
            Err(FieldError::new("hash", "must be \"sha1\": coturn checks REST API credentials with HMAC-SHA1"))
        }
        Kind::Turn => check_turn_urls(&settings.urls),
    }
}

fn check_turn_urls(urls: &[String]) -> Result<(), FieldError> {
    if urls.is_empty() || urls.len() > MAX_TURN_URLS {
        return Err(FieldError::new("urls", format!("must list 1 to {MAX_TURN_URLS} turn: or turns: URLs")));
    }
    for (i, url) in urls.iter().enumerate() {
        let field = format!("urls[{i}]");
        let lower = url.to_ascii_lowercase();
        let host = lower.strip_prefix("turns:").or_else(|| lower.strip_prefix("turn:"));
        if url.len() > 256 || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(FieldError::new(&field, "must be at most 256 characters without spaces or control characters"));
        }
        if host.is_none_or(|h| h.is_empty() || h.starts_with(['?', ':'])) {
            return Err(FieldError::new(
                &field,
                format!(
                    "{:?} must be a turn: or turns: URL such as \"turns:turn.example.com:5349\"",
                    url.chars().take(80).collect::<String>()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a shared secret: it goes as is into Kamailio's and coturn's configuration files.
pub fn check_secret(secret: &Secret) -> Result<(), FieldError> {
    let text = secret.expose();
    if !(16..=256).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') {
        return Err(FieldError::new(
            "secret",
            "must be 16 to 256 printable ASCII characters without spaces, quotes or backslashes \
             (the same value goes into the servers' configuration)",
        ));
    }
    Ok(())
}

/// Credentials minted for one user.
#[derive(Clone, PartialEq, Eq)]
pub struct Minted {
    /// `<expiry>:<user>`.
    pub username: String,
    /// `base64(HMAC(secret, username))`.
    pub password: Secret,
    /// When the servers stop taking them (Unix seconds).
    pub expires_at: i64,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted").field("username", &self.username).finish_non_exhaustive()
    }
}

/// Credentials for `user` good until `expires_at` (Unix seconds).
pub fn mint(secret: &Secret, hash: Hash, user: &str, expires_at: i64) -> Minted {
    let username = format!("{expires_at}:{user}");
    let key = hmac::Key::new(hash.algorithm(), secret.expose().as_bytes());
    let password = Secret::new(STANDARD.encode(hmac::sign(&key, username.as_bytes())));
    Minted { username, password, expires_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hash: Hash, ttl_seconds: u32, urls: &[&str]) -> Settings {
        Settings { hash, ttl_seconds, urls: urls.iter().map(|u| (*u).to_owned()).collect() }
    }

    #[test]
    fn passwords_are_the_servers_hmac_of_the_whole_username() {
        // `printf '1735689600:agent1' | openssl dgst -sha1 -hmac kamailio_rules -binary | base64`
        let secret = Secret::new("kamailio_rules");
        let sha1 = mint(&secret, Hash::Sha1, "agent1", 1_735_689_600);
        assert_eq!(sha1.username, "1735689600:agent1");
        assert_eq!(sha1.password.expose(), "2+1nQhcKdzxvNIIuy4J+YjPR9m4=");
        let sha256 = mint(&secret, Hash::Sha256, "agent1", 1_735_689_600);
        assert_eq!(sha256.password.expose(), "zhfEmnmDRjrYd+CcpYOwfnxIDVb3T27NbAFmWf5pkrM=");
        assert_eq!(mint(&secret, Hash::Sha512, "agent1", 1).password.expose().len(), 88);
        assert!(!format!("{sha1:?}").contains("2+1n"), "no password in debug output");
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        assert_eq!(check(Kind::Sip, &settings(Hash::Sha256, 3600, &[])), Ok(()));
        assert_eq!(
            check(Kind::Turn, &settings(Hash::Sha1, 60, &["turns:t.example:5349", "turn:t.example?transport=tcp"])),
            Ok(())
        );
        let field = |kind, s: Settings| check(kind, &s).unwrap_err().field;
        assert_eq!(field(Kind::Sip, settings(Hash::Sha256, 59, &[])), "ttlSeconds");
        assert_eq!(field(Kind::Sip, settings(Hash::Sha256, 43_201, &[])), "ttlSeconds");
        assert_eq!(field(Kind::Sip, settings(Hash::Sha256, 600, &["turn:x"])), "urls");
        assert_eq!(field(Kind::Turn, settings(Hash::Sha256, 600, &["turn:x"])), "hash");
        assert_eq!(field(Kind::Turn, settings(Hash::Sha1, 600, &[])), "urls");
        assert_eq!(field(Kind::Turn, settings(Hash::Sha1, 600, &["turn:x", "stun:y"])), "urls[1]");
        assert_eq!(field(Kind::Turn, settings(Hash::Sha1, 600, &["turn:"])), "urls[0]");
        assert_eq!(field(Kind::Turn, settings(Hash::Sha1, 600, &["turn:a b"])), "urls[0]");
    }

    #[test]
    fn secrets_must_be_long_and_fit_a_configuration_file() {
        assert!(check_secret(&Secret::new("lab-sip-ephemeral-secret")).is_ok());
        for bad in ["short", "has a space in it!!", "has\"a-quote-in-it", "back\\slash-in-it-x", "ünïcödé-secret-value"]
        {
            assert_eq!(check_secret(&Secret::new(bad)).unwrap_err().field, "secret", "{bad}");
        }
    }
}
