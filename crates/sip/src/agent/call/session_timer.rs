//! Session timers (RFC 4028): the interval and refresher, as UAC and as UAS.

use super::{SessionTimer, supports};
use crate::agent::UserAgent;
use crate::agent::context::{CallTimer, TimerKey};
use crate::agent::events::CallRef;
use crate::headers::value_with_params;
use crate::message::{HeaderName, Request, Response};

impl UserAgent {
    /// RFC 4028 as the UAS: the interval and refresher of our 2xx, with their headers.
    pub(in crate::agent) fn negotiate_session(
        &self,
        request: &Request,
        response: &mut Response,
    ) -> Option<SessionTimer> {
        let requested = request.headers.get(&HeaderName::SessionExpires).and_then(|v| value_with_params(v).ok());
        let (interval, refresher) = match requested {
            Some((interval, params)) => {
                (interval.parse::<u32>().ok()?, params.get("refresher").flatten().map(str::to_ascii_lowercase))
            }
            None if self.ctx.config.session_expires > 0 && supports(&request.headers, "timer") => {
                (self.ctx.config.session_expires, None)
            }
            None => return None,
        };
        let interval = interval.max(90);
        let uac_refreshes = match refresher.as_deref() {
            Some("uas") => false,
            Some(_) => true,
            None => supports(&request.headers, "timer"),
        };
        let refresher = if uac_refreshes { "uac" } else { "uas" };
        response.headers.push(HeaderName::SessionExpires, format!("{interval};refresher={refresher}"));
        if uac_refreshes {
            response.headers.push(HeaderName::Require, "timer");
        }
        Some(SessionTimer { interval, we_refresh: !uac_refreshes })
    }

    /// RFC 4028 as the UAC: what the 2xx decided.
    pub(in crate::agent) fn session_from_answer(&mut self, call: CallRef, response: &Response) {
        let Some((interval, params)) =
            response.headers.get(&HeaderName::SessionExpires).and_then(|v| value_with_params(v).ok())
        else {
            return;
        };
        let Ok(interval) = interval.parse::<u32>() else { return };
        let we_are_uac = self.calls.get(&call).is_some_and(|c| c.outgoing);
        let uac_refreshes = !params.get("refresher").flatten().is_some_and(|r| r.eq_ignore_ascii_case("uas"));
        if let Some(state) = self.calls.get_mut(&call) {
            state.session = Some(SessionTimer { interval: interval.max(90), we_refresh: uac_refreshes == we_are_uac });
        }
        self.schedule_session(call);
    }

    pub(in crate::agent) fn schedule_session(&mut self, call: CallRef) {
        let Some(session) = self.calls.get(&call).and_then(|c| c.session) else { return };
        let interval = u64::from(session.interval) * 1000;
        let now = self.ctx.now;
        if session.we_refresh {
            self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::SessionExpiry));
            self.ctx.timers.set(TimerKey::Call(call, CallTimer::SessionRefresh), now + interval / 2);
        } else {
            // RFC 4028 §10: BYE at the interval less a third of it (at most 32 s).
            self.ctx.timers.cancel(&TimerKey::Call(call, CallTimer::SessionRefresh));
            self.ctx
                .timers
                .set(TimerKey::Call(call, CallTimer::SessionExpiry), now + (interval - (interval / 3).min(32_000)));
        }
    }
}
