//! The connection kept ready for the next call: made once the phone is registered, so that its
//! candidates (server-reflexive from STUN, relay from TURN) are gathered before the agent clicks
//! Call or Answer; made anew once taken (at the next second's refresh) or once it has aged;
//! closed with the phone.

use super::Softphone;
use super::media::{self, MediaError, Prepared};

impl Softphone {
    /// Keeps one connection ready while the phone is registered, and fresh.
    pub(super) fn keep_connection_ready(&self) {
        let mut shell = self.0.borrow_mut();
        if shell.stopping || shell.shut || !shell.desk.model().session.registered() {
            return;
        }
        let now = js_sys::Date::now();
        if shell.prepared.as_ref().is_some_and(|spare| spare.is_fresh(now)) {
            return;
        }
        if let Some(stale) = shell.prepared.take() {
            stale.connection.close();
        }
        // A connection the browser refuses now is refused again, with its reason, at the call.
        if let Ok(connection) = media::connection(&shell.ice_servers, shell.ice_transport_policy) {
            shell.prepared = Some(Prepared { connection, made_at: now });
        }
    }

    /// The connection for a new call: the one kept ready while it is fresh, else a new one.
    pub(super) fn take_connection(&self) -> Result<Prepared, MediaError> {
        let mut shell = self.0.borrow_mut();
        let now = js_sys::Date::now();
        match shell.prepared.take() {
            Some(spare) if spare.is_fresh(now) => Ok(spare),
            stale => {
                if let Some(stale) = stale {
                    stale.connection.close();
                }
                Ok(Prepared {
                    connection: media::connection(&shell.ice_servers, shell.ice_transport_policy)?,
                    made_at: now,
                })
            }
        }
    }
}
