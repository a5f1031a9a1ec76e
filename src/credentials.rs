//! The agent's sign-in, kept for the browser tab's session (so that a reload, or Salesforce
//! Classic's page navigation, does not sign the agent out), and across sessions only when the
//! agent asked to be remembered.

use serde::{Deserialize, Serialize};

const KEY: &str = "framephone.sign-in";

/// A username and password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    /// The SIP username.
    pub username: String,
    /// The password.
    pub password: String,
}

fn storages() -> [Option<web_sys::Storage>; 2] {
    let window = web_sys::window();
    [
        window.as_ref().and_then(|w| w.session_storage().ok().flatten()),
        window.as_ref().and_then(|w| w.local_storage().ok().flatten()),
    ]
}

/// Keeps `sign_in` for this tab's session, and in the browser's storage too when `remember`.
pub fn keep(sign_in: &SignIn, remember: bool) {
    let Ok(text) = serde_json::to_string(sign_in) else { return };
    let [session, local] = storages();
    if let Some(session) = session {
        let _ = session.set_item(KEY, &text);
    }
    if let Some(local) = local {
        let _ = if remember { local.set_item(KEY, &text) } else { local.remove_item(KEY) };
    }
}

/// The kept sign-in, if any: this session's first, then a remembered one.
pub fn kept() -> Option<SignIn> {
    storages()
        .into_iter()
        .flatten()
        .find_map(|storage| storage.get_item(KEY).ok().flatten().and_then(|text| serde_json::from_str(&text).ok()))
}

/// Whether the agent asked to be remembered (the sign-in is in the browser's storage).
pub fn remembered() -> bool {
    let [_, local] = storages();
    local.is_some_and(|storage| storage.get_item(KEY).ok().flatten().is_some())
}

/// Forgets the sign-in everywhere (Sign out).
pub fn forget() {
    for storage in storages().into_iter().flatten() {
        let _ = storage.remove_item(KEY);
    }
}
