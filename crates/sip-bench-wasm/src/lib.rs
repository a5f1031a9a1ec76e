//! Entry points for `scripts/bench-sip.sh`: the SIP core's parser and serializer, called from
//! JavaScript once per message, as the widget's WebSocket handler will call them.

use wasm_bindgen::prelude::*;

/// Parses one message from bytes; returns its header count (0 if it does not parse).
#[wasm_bindgen]
pub fn parse_bytes(bytes: &[u8]) -> usize {
    sip::Message::parse(bytes).map_or(0, |m| m.headers().len())
}

/// Parses one message from a JavaScript string (a WebSocket text frame).
#[wasm_bindgen]
pub fn parse_text(text: &str) -> usize {
    parse_bytes(text.as_bytes())
}

/// Parses and validates one message, as the user agent does with everything it receives.
#[wasm_bindgen]
pub fn validate_text(text: &str) -> bool {
    !matches!(sip::validate(text.as_bytes(), &sip::Capabilities::default()), sip::Verdict::Drop(_))
}

/// A parsed message kept in wasm memory, to time serialization alone.
#[wasm_bindgen]
pub struct Parsed(sip::Message);

#[wasm_bindgen]
impl Parsed {
    /// Parses `text`; throws if it is not a SIP message.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str) -> Result<Parsed, JsError> {
        sip::Message::parse(text.as_bytes()).map(Parsed).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Serializes the message; returns the byte count.
    pub fn serialize(&self) -> usize {
        self.0.to_bytes().map_or(0, |b| b.len())
    }
}

/// Answers a digest challenge and runs a client transaction to its end, so that the size
/// report (`scripts/bench-sip.sh`) counts authentication and transactions too.
#[wasm_bindgen]
pub fn exercise_everything(challenge: &str, invite: &str) -> usize {
    use sip::auth::{Challenge, Credentials, DigestClient, RequestDigest};
    use sip::transaction::{ClientInvite, ServerNonInvite, TimerValues, Transport};
    let mut written = 0;
    if let Ok(challenge) = Challenge::parse(challenge.as_bytes()) {
        let mut client = DigestClient::new(Credentials { username: "1001".into(), password: "pw".into() });
        let answer = client.authorize(&challenge, RequestDigest { method: "REGISTER", uri: "sip:x", body: b"" }, "c");
        written += answer.map_or(0, |value| value.len());
    }
    if let Ok(sip::Message::Request(request)) = sip::Message::parse(invite.as_bytes()) {
        let now = sip::Millis(0);
        let (mut transaction, actions) =
            ClientInvite::start(request.clone(), now, TimerValues::default(), Transport::Reliable);
        let response = sip::Response::to_request(&request, 486, Some("t"));
        written += actions.len() + transaction.on_response(now, response.clone()).len();
        let mut server = ServerNonInvite::start(TimerValues::default(), Transport::Unreliable);
        written +=
            server.respond(now, response).len() + server.on_timer(now + 32_000, sip::transaction::Timer::J).len();
    }
    written
}
