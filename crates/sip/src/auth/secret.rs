//! What answers a digest challenge: the password itself, or HA1 values computed from it earlier
//! (RFC 7616 §3.4.2 lets a client keep `H(username:realm:password)` instead of the password).
//!
//! An HA1 answers only the realm and hash function it was computed for, and whoever holds it
//! can answer that realm's challenges, so it is a secret too; but it never reveals the password,
//! and it is worthless for any other realm or hash. The `-sess` algorithms start from the same
//! HA1 (RFC 7616 §3.4.2), so one stored for MD5 also answers MD5-sess.

use super::{Algorithm, AuthError, Challenge, Credentials};

/// `H(username:realm:password)` for one realm and one hash function.
#[derive(Clone, PartialEq, Eq)]
pub struct Ha1 {
    /// The realm it answers, exactly as the server writes it.
    pub realm: String,
    /// The hash function: the plain (non-`-sess`) algorithm.
    pub algorithm: Algorithm,
    /// The lower-case hex digest.
    pub hex: String,
}

impl std::fmt::Debug for Ha1 {
    // The digest answers challenges: keep it out of logs and panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ha1")
            .field("realm", &self.realm)
            .field("algorithm", &self.algorithm)
            .field("hex", &"<redacted>")
            .finish()
    }
}

impl Ha1 {
    /// Computes the HA1 of `username` and `password` for `realm` and `algorithm`'s hash.
    pub fn compute(username: &str, realm: &str, password: &str, algorithm: Algorithm) -> Ha1 {
        let algorithm = algorithm.base();
        Ha1 {
            realm: realm.to_owned(),
            algorithm,
            hex: algorithm.hex(format!("{username}:{realm}:{password}").as_bytes()),
        }
    }

    /// A stored HA1, checked: `hex` must be a digest of `algorithm`'s length.
    pub fn from_stored(realm: &str, algorithm: Algorithm, hex: &str) -> Result<Ha1, AuthError> {
        let algorithm = algorithm.base();
        if hex.len() != algorithm.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AuthError::BadHa1 { algorithm: algorithm.name() });
        }
        Ok(Ha1 { realm: realm.to_owned(), algorithm, hex: hex.to_ascii_lowercase() })
    }

    /// Whether it answers a challenge for `realm` with `algorithm` (or its `-sess` variant).
    pub fn answers(&self, realm: &str, algorithm: Algorithm) -> bool {
        self.realm == realm && self.algorithm == algorithm.base()
    }
}

/// A user's secret for digest authentication: the password, or HA1 values computed from it.
#[derive(Clone, PartialEq, Eq)]
pub enum AuthCredentials {
    /// The user name and password: answers any realm and algorithm.
    Password(Credentials),
    /// HA1 values kept from an earlier sign-in: each answers only its own realm and hash.
    Ha1 {
        /// The authentication user name.
        username: String,
        /// The HA1 values.
        ha1: Vec<Ha1>,
    },
}

impl std::fmt::Debug for AuthCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthCredentials::Password(credentials) => f.debug_tuple("Password").field(credentials).finish(),
            AuthCredentials::Ha1 { username, ha1 } => {
                f.debug_struct("Ha1").field("username", username).field("ha1", ha1).finish()
            }
        }
    }
}

impl From<Credentials> for AuthCredentials {
    fn from(credentials: Credentials) -> Self {
        AuthCredentials::Password(credentials)
    }
}

impl AuthCredentials {
    /// The authentication user name.
    pub fn username(&self) -> &str {
        match self {
            AuthCredentials::Password(credentials) => &credentials.username,
            AuthCredentials::Ha1 { username, .. } => username,
        }
    }

    /// The HA1 that answers `challenge`; [`AuthError::NoSecret`] when only the password could.
    pub fn ha1(&self, challenge: &Challenge) -> Result<Ha1, AuthError> {
        match self {
            AuthCredentials::Password(credentials) => {
                Ok(Ha1::compute(&credentials.username, &challenge.realm, &credentials.password, challenge.algorithm))
            }
            AuthCredentials::Ha1 { ha1, .. } => {
                ha1.iter().find(|h| h.answers(&challenge.realm, challenge.algorithm)).cloned().ok_or_else(|| {
                    AuthError::NoSecret { realm: challenge.realm.clone(), algorithm: challenge.algorithm.name() }
                })
            }
        }
    }

    /// The challenge to answer among a response's challenge values: the strongest one these
    /// credentials can answer (RFC 8760 §2.4). Values that cannot be read or use an unknown
    /// scheme or algorithm are skipped; when readable ones remain but none can be answered
    /// without the password, the error names the strongest of them.
    pub fn choose<'a>(&self, values: impl IntoIterator<Item = &'a [u8]>) -> Result<Challenge, AuthError> {
        let mut readable: Vec<Challenge> = values.into_iter().filter_map(|v| Challenge::parse(v).ok()).collect();
        readable.sort_by_key(|c| std::cmp::Reverse(c.algorithm.strength()));
        let Some(strongest) = readable.first() else { return Err(AuthError::Missing("usable Digest challenge")) };
        let first_error = match self.ha1(strongest) {
            Ok(_) => return Ok(readable.swap_remove(0)),
            Err(error) => error,
        };
        readable.into_iter().find(|c| self.ha1(c).is_ok()).ok_or(first_error)
    }
}
