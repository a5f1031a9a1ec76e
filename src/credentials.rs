//! The agent's sign-in, kept for the browser tab's session (so that a reload, or Salesforce
//! Classic's page navigation, does not sign the agent out), and across sessions only when the
//! agent asked to be remembered.
//!
//! The password is never stored: what is kept is the username and the digest secret the
//! server accepted, `HA1 = H(username:realm:password)` with its realm and algorithm (RFC 7616
//! §3.4.2), and only after the server accepted it. An HA1 answers that realm's challenges for
//! that hash, and reveals nothing of the password.

use serde::{Deserialize, Serialize};
use sip::auth::{Algorithm, AuthCredentials, AuthError, Ha1};

/// The storage key of the kept sign-in, in `sessionStorage` and (Remember me) `localStorage`;
/// `index.html` looks for it too (a page that kept a sign-in opens its socket early).
pub const KEY: &str = "framephone.sign-in.digest";

/// Where earlier versions kept the username and the password in clear: removed at start-up.
pub const LEGACY_KEY: &str = "framephone.sign-in";

/// A sign-in the server accepted: the username and the HA1 that answered its challenge.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeptSignIn {
    /// The SIP username.
    pub username: String,
    /// The realm the HA1 answers.
    pub realm: String,
    /// The digest algorithm's name (`MD5`, `SHA-256`, …).
    pub algorithm: String,
    /// `H(username:realm:password)` in lower-case hex.
    pub ha1: String,
}

impl std::fmt::Debug for KeptSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptSignIn")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl KeptSignIn {
    /// What to keep of a sign-in whose HA1 the server accepted.
    pub fn accepted(username: &str, ha1: &Ha1) -> KeptSignIn {
        KeptSignIn {
            username: username.to_owned(),
            realm: ha1.realm.clone(),
            algorithm: ha1.algorithm.name().to_owned(),
            ha1: ha1.hex.clone(),
        }
    }

    /// Reads a stored entry; `None` for anything else (an old entry with a password, another
    /// version, a hand edit, an HA1 that is not a digest of its algorithm).
    pub fn parse(text: &str) -> Option<KeptSignIn> {
        let kept: KeptSignIn = serde_json::from_str(text).ok()?;
        kept.credentials().ok()?;
        Some(kept)
    }

    /// The stored form.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The credentials the agent signs in with: this HA1 only, no password.
    pub fn credentials(&self) -> Result<AuthCredentials, AuthError> {
        if self.username.trim().is_empty() || self.username.chars().any(char::is_control) {
            return Err(AuthError::Missing("user name"));
        }
        let algorithm =
            Algorithm::from_name(&self.algorithm).ok_or_else(|| AuthError::Algorithm(self.algorithm.clone()))?;
        let ha1 = Ha1::from_stored(&self.realm, algorithm, &self.ha1)?;
        Ok(AuthCredentials::Ha1 { username: self.username.clone(), ha1: vec![ha1] })
    }
}

/// Whether a stored value is a JSON object with a `password` field (how earlier versions kept
/// the sign-in).
pub fn holds_password(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).ok().is_some_and(|value| {
        value.as_object().is_some_and(|object| object.keys().any(|k| k.eq_ignore_ascii_case("password")))
    })
}

fn storages() -> [Option<web_sys::Storage>; 2] {
    [crate::browser::session_storage(), crate::browser::local_storage()]
}

/// Keeps an accepted sign-in for this tab's session, and in `localStorage` too when
/// `remember` (otherwise any remembered one is removed).
pub fn keep(kept: &KeptSignIn, remember: bool) {
    let text = kept.to_text();
    let [session, local] = storages();
    if let Some(session) = session {
        let _ = session.set_item(KEY, &text);
    }
    if let Some(local) = local {
        let _ = if remember { local.set_item(KEY, &text) } else { local.remove_item(KEY) };
    }
}

/// The kept sign-in, if any (this session's first, then a remembered one), and whether it was
/// remembered across sessions.
pub fn kept() -> Option<(KeptSignIn, bool)> {
    let [session, local] = storages();
    let read = |storage: &web_sys::Storage| storage.get_item(KEY).ok().flatten().and_then(|t| KeptSignIn::parse(&t));
    let remembered = local.as_ref().and_then(read);
    match session.as_ref().and_then(read) {
        Some(kept) => Some((kept, remembered.is_some())),
        None => remembered.map(|kept| (kept, true)),
    }
}

/// Removes what must not stay: entries of earlier versions (which held the password in clear)
/// and kept entries that cannot be read. Runs at start-up.
pub fn migrate() {
    for storage in storages().into_iter().flatten() {
        let _ = storage.remove_item(LEGACY_KEY);
        // Any other entry of ours that holds a password field goes too (keys read first: the
        // indices move as items go).
        let keys: Vec<String> =
            (0..storage.length().unwrap_or(0)).filter_map(|i| storage.key(i).ok().flatten()).collect();
        for key in keys.iter().filter(|key| key.starts_with("framephone.")) {
            if storage.get_item(key).ok().flatten().is_some_and(|text| holds_password(&text)) {
                let _ = storage.remove_item(key);
            }
        }
        let unreadable = storage.get_item(KEY).ok().flatten().is_some_and(|text| KeptSignIn::parse(&text).is_none());
        if unreadable {
            let _ = storage.remove_item(KEY);
        }
    }
}

/// Forgets the sign-in everywhere (Sign out, or a kept secret the server refused).
pub fn forget() {
    for storage in storages().into_iter().flatten() {
        let _ = storage.remove_item(KEY);
        let _ = storage.remove_item(LEGACY_KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hashlib.md5(b"1001:framephone.test:lab-1001-pw").hexdigest()`.
    const HA1: &str = "57f20519003d00270b2de26936274101";

    fn kept() -> KeptSignIn {
        KeptSignIn {
            username: "1001".into(),
            realm: "framephone.test".into(),
            algorithm: "MD5".into(),
            ha1: HA1.into(),
        }
    }

    #[test]
    fn the_stored_form_holds_the_ha1_and_never_a_password() {
        let ha1 = Ha1::compute("1001", "framephone.test", "lab-1001-pw", Algorithm::Md5);
        let kept = KeptSignIn::accepted("1001", &ha1);
        assert_eq!(kept, self::kept());
        let text = kept.to_text();
        assert!(!text.contains("lab-1001-pw") && !text.contains("password"), "{text}");
        assert_eq!(KeptSignIn::parse(&text), Some(kept.clone()));
        let credentials = kept.credentials().expect("usable");
        assert_eq!(credentials.username(), "1001");
        assert!(matches!(credentials, AuthCredentials::Ha1 { .. }));
        assert!(!format!("{kept:?}").contains(HA1));
    }

    #[test]
    fn an_sha_256_ha1_is_kept_with_its_algorithm() {
        let ha1 = Ha1::compute("1001", "framephone.test", "lab-1001-pw", Algorithm::Sha256Sess);
        let kept = KeptSignIn::accepted("1001", &ha1);
        assert_eq!(kept.algorithm, "SHA-256");
        assert_eq!(kept.ha1, "0435e36fb02ef0501f3746e778e7ec24325f232e542edf5ae81f79da74a02161");
        assert_eq!(KeptSignIn::parse(&kept.to_text()), Some(kept));
    }

    #[test]
    fn entries_of_earlier_versions_are_recognised() {
        assert!(holds_password(r#"{"username":"1001","password":"lab-1001-pw"}"#));
        assert!(holds_password(r#"{"Password":""}"#));
        assert!(!holds_password(&kept().to_text()));
        assert!(!holds_password(r#"[{"party":"password (1002)"}]"#));
        assert!(!holds_password("password"));
    }

    #[test]
    fn old_and_broken_entries_are_not_read() {
        for text in [
            r#"{"username":"1001","password":"lab-1001-pw"}"#.to_owned(),
            // A password smuggled beside a valid entry.
            format!(
                r#"{{"username":"1001","realm":"framephone.test","algorithm":"MD5","ha1":"{HA1}","password":"x"}}"#
            ),
            format!(r#"{{"username":"1001","realm":"framephone.test","algorithm":"SHA-1","ha1":"{HA1}"}}"#),
            r#"{"username":"1001","realm":"framephone.test","algorithm":"MD5","ha1":"lab-1001-pw"}"#.to_owned(),
            format!(r#"{{"username":"","realm":"framephone.test","algorithm":"MD5","ha1":"{HA1}"}}"#),
            "not json".to_owned(),
        ] {
            assert_eq!(KeptSignIn::parse(&text), None, "{text}");
        }
    }
}
