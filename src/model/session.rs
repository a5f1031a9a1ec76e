//! The sign-in's life: signed out → signing in → registered ↔ reconnecting → signed out, with
//! one phone at a time.

use serde::{Deserialize, Serialize};

use crate::i18n::{t, t_args};

/// Where the sign-in stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Session {
    /// Nobody is signed in; no phone runs.
    #[default]
    SignedOut,
    /// A sign-in was refused (or could not start); no phone runs. The text says why.
    Failed(String),
    /// Connecting and registering for the first time.
    SigningIn,
    /// Not registered, and trying again by itself: the text says why and when.
    Offline(String),
    /// Registered: calls can come in.
    Registered,
    /// The connection dropped; the phone tries again in `retry_in` milliseconds.
    Reconnecting {
        /// Milliseconds until the next attempt.
        retry_in: u64,
    },
}

impl Session {
    /// Whether a phone is running (and can be signed out).
    pub fn phone_runs(&self) -> bool {
        !matches!(self, Session::SignedOut | Session::Failed(_))
    }

    /// Whether calls can be placed and offered.
    pub fn registered(&self) -> bool {
        *self == Session::Registered
    }

    /// The status line's words for the phone; `user` is who is signed in.
    pub fn text(&self, user: Option<&str>) -> String {
        match self {
            Session::SignedOut => t("session.status.signed-out"),
            Session::SigningIn => t("session.status.connecting"),
            Session::Registered => match user {
                Some(user) => t_args("session.status.registered-as", &[("user", user)]),
                None => t("session.status.registered"),
            },
            Session::Reconnecting { retry_in } => {
                let seconds = retry_in.div_ceil(1000).to_string();
                t_args("session.status.reconnecting", &[("seconds", &seconds)])
            }
            Session::Failed(reason) | Session::Offline(reason) => {
                t_args("session.status.offline", &[("reason", reason)])
            }
        }
    }
}
