//! Local passwords: Argon2id hashes in PHC form (the crate's defaults, m = 19 MiB, t = 2,
//! p = 1), computed off the async threads, and the rules a new password must meet.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::random;
use crate::secret::Secret;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted, in bytes (hashing cost stays bounded).
pub const MAX_BYTES: usize = 1024;

/// Why a new password is refused, or `None` when it may be used.
pub fn refusal(password: &Secret, username: &str) -> Option<String> {
    let value = password.expose();
    if value.chars().count() < MIN_LENGTH {
        Some(format!("the password must have at least {MIN_LENGTH} characters"))
    } else if value.len() > MAX_BYTES {
        Some(format!("the password must have at most {MAX_BYTES} bytes"))
    } else if value.eq_ignore_ascii_case(username) {
        Some("the password must not be the username".into())
    } else {
        None
    }
}

/// The Argon2id hash of `password`, with a fresh salt.
pub async fn hash(password: Secret) -> String {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&random::bytes::<16>())
            .unwrap_or_else(|_| SaltString::from_b64("c2FsdHNhbHQ").expect("constant salt"));
        Argon2::default().hash_password(password.expose().as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

/// Whether `password` matches `hash`; a hash that does not parse matches nothing.
pub async fn verify(password: Secret, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash of a password no one has, so that a sign-in for an unknown user costs as much as one
/// for a known user (no timing oracle for usernames).
pub async fn spend_equal_time(password: Secret) {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$0o8mAP0TdmSbhhMQIdw0QZ8vdnZX7rESfTdbR1F3PFI";
    let _ = verify(password, DUMMY.to_owned()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash(Secret::new("correct horse battery")).await;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify(Secret::new("correct horse battery"), hash.clone()).await);
        assert!(!verify(Secret::new("correct horse batterz"), hash).await);
        assert!(!verify(Secret::new("x"), "not a hash".into()).await);
    }

    #[test]
    fn weak_passwords_are_refused_with_the_rule() {
        assert!(refusal(&Secret::new("short"), "ana").is_some_and(|r| r.contains("12 characters")));
        assert!(refusal(&Secret::new("ana.diaz.1234"), "ANA.DIAZ.1234").is_some_and(|r| r.contains("username")));
        assert_eq!(refusal(&Secret::new("a long enough phrase"), "ana"), None);
    }
}
