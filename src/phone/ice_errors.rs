//! The STUN and TURN servers' errors: read from `icecandidateerror` events, and asked for anew
//! when a connection hid them. Chromium reports no error of a candidate pool's gathering, and
//! every call's connection gathers into its pool (`media::connection`); so when a TURN server
//! gave a call no relay candidate, a short-lived connection of its own, without a pool,
//! allocates again with the same credentials and reports what the server answers. It is closed
//! once its gathering completes, which releases the allocation. `crate::turn_refusal` decides
//! what the agent is told.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RtcIceGatheringState, RtcPeerConnection, RtcSessionDescriptionInit};

use super::media::configuration;
use crate::browser::wakeable_sleep;
use crate::config::{IceServer, IceTransportPolicy};
use crate::turn_refusal::CandidateError;

/// How long the servers have to answer the question; a server still silent then is
/// unreachable, which the agent is not told about.
const ASK_LIMIT_MS: i32 = 3_000;

/// The fields of an `icecandidateerror` event; none for another kind of event.
pub(super) fn candidate_error(event: &JsValue) -> Option<CandidateError> {
    let field = |key: &str| Reflect::get(event, &key.into()).ok();
    let url = field("url")?.as_string()?;
    let code = field("errorCode")?.as_f64()?;
    let text = field("errorText").and_then(|t| t.as_string()).unwrap_or_default();
    Some(CandidateError { url, code: code as u16, text })
}

/// What `servers` answer an allocation on a connection without a candidate pool: their errors
/// (none when all of them gave a relay candidate, or the browser would not ask).
pub(super) async fn ask(servers: &[IceServer]) -> Vec<CandidateError> {
    let configuration = configuration(servers, IceTransportPolicy::Relay);
    let Ok(connection) = RtcPeerConnection::new_with_configuration(&configuration) else { return Vec::new() };
    let errors = Rc::new(RefCell::new(Vec::new()));
    let on_error = {
        let errors = errors.clone();
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| errors.borrow_mut().extend(candidate_error(&event)))
    };
    let (wake, done) = wakeable_sleep(ASK_LIMIT_MS);
    let on_state = {
        let connection = connection.clone();
        Closure::<dyn FnMut()>::new(move || {
            let complete = connection.ice_gathering_state() == RtcIceGatheringState::Complete;
            if let Some(wake) = wake.as_ref().filter(|_| complete) {
                let _ = wake.call0(&JsValue::NULL);
            }
        })
    };
    let _ = connection.add_event_listener_with_callback("icecandidateerror", on_error.as_ref().unchecked_ref());
    connection.set_onicegatheringstatechange(Some(on_state.as_ref().unchecked_ref()));
    // Something to negotiate, so that the offer starts gathering.
    connection.add_transceiver_with_str("audio");
    if let Ok(offer) = JsFuture::from(connection.create_offer()).await {
        let offer: RtcSessionDescriptionInit = offer.unchecked_into();
        if JsFuture::from(connection.set_local_description(&offer)).await.is_ok() {
            done.await;
        }
    }
    // The handlers go before their closures do.
    connection.set_onicegatheringstatechange(None);
    let _ = connection.remove_event_listener_with_callback("icecandidateerror", on_error.as_ref().unchecked_ref());
    connection.close();
    errors.take()
}
