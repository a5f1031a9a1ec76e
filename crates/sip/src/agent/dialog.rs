//! A dialog (RFC 3261 §12): what both ends agreed on, and how to build requests inside it.

use super::events::Party;
use crate::headers::{CSeq, NameAddr, split_values};
use crate::message::{HeaderName, Method, Request, Response, Uri};

/// One dialog, from our side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
    /// Our From/To value without the tag.
    pub local_uri: String,
    /// Their From/To value without the tag.
    pub remote_uri: String,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
    pub remote_target: Uri,
    /// Record-Route values in the order our requests visit them.
    pub route_set: Vec<Vec<u8>>,
}

impl Dialog {
    /// The dialog a response with a To tag creates for a request we sent (INVITE, SUBSCRIBE).
    pub(crate) fn as_uac(request: &Request, response: &Response) -> Option<Dialog> {
        let to = NameAddr::parse(response.headers.get(&HeaderName::To)?).ok()?;
        let from = NameAddr::parse(request.headers.get(&HeaderName::From)?).ok()?;
        let cseq = CSeq::parse(request.headers.get(&HeaderName::CSeq)?).ok()?;
        let mut route_set = record_routes(&response.headers);
        route_set.reverse();
        Some(Dialog {
            call_id: request.headers.get_str(&HeaderName::CallId)?.to_owned(),
            local_tag: from.tag()?.to_owned(),
            remote_tag: to.tag()?.to_owned(),
            local_uri: without_tag(&from),
            remote_uri: without_tag(&to),
            local_cseq: cseq.number,
            remote_cseq: None,
            remote_target: contact_uri(&response.headers).unwrap_or_else(|| request.uri.clone()),
            route_set,
        })
    }

    /// The dialog a received request creates (INVITE; NOTIFY for our SUBSCRIBE, with
    /// `local_tag` the tag we put in our From).
    pub(crate) fn as_uas(request: &Request, local_tag: &str) -> Option<Dialog> {
        let from = NameAddr::parse(request.headers.get(&HeaderName::From)?).ok()?;
        let to = NameAddr::parse(request.headers.get(&HeaderName::To)?).ok()?;
        let cseq = CSeq::parse(request.headers.get(&HeaderName::CSeq)?).ok()?;
        Some(Dialog {
            call_id: request.headers.get_str(&HeaderName::CallId)?.to_owned(),
            local_tag: local_tag.to_owned(),
            remote_tag: from.tag()?.to_owned(),
            local_uri: without_tag(&to),
            remote_uri: without_tag(&from),
            local_cseq: 0,
            remote_cseq: Some(cseq.number),
            remote_target: contact_uri(&request.headers)?,
            route_set: record_routes(&request.headers),
        })
    }

    /// Whether a message with these identifiers belongs here (ours is the local tag).
    pub(crate) fn matches(&self, call_id: &[u8], local_tag: &str, remote_tag: Option<&str>) -> bool {
        self.call_id.as_bytes() == call_id
            && self.local_tag == local_tag
            && remote_tag.is_none_or(|tag| tag == self.remote_tag)
    }

    /// A new request in the dialog (ACK and CANCEL reuse the INVITE's number, all else takes the
    /// next one); `via` is the whole Via value with a fresh branch.
    pub(crate) fn request(&mut self, method: Method, via: String) -> Request {
        if !matches!(method, Method::Ack | Method::Cancel) {
            self.local_cseq = self.local_cseq.wrapping_add(1).max(1);
        }
        let (uri, routes) = self.routing();
        let mut request = Request::new(method.clone(), uri);
        let headers = &mut request.headers;
        headers.push(HeaderName::Via, via);
        headers.push(HeaderName::MaxForwards, "70");
        for route in routes {
            headers.push(HeaderName::Route, route);
        }
        headers.push(HeaderName::From, format!("{};tag={}", self.local_uri, self.local_tag));
        headers.push(HeaderName::To, format!("{};tag={}", self.remote_uri, self.remote_tag));
        headers.push(HeaderName::CallId, self.call_id.clone());
        headers.push(HeaderName::CSeq, format!("{} {}", self.local_cseq, method));
        request
    }

    /// A request from the other side arrived: its CSeq must grow (§12.2.2); false means answer
    /// 500. A target refresh (re-INVITE, UPDATE) moves the remote target to its Contact.
    pub(crate) fn accept_request(&mut self, request: &Request) -> bool {
        let Some(cseq) = request.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok()) else {
            return false;
        };
        if request.method != Method::Ack {
            if self.remote_cseq.is_some_and(|last| cseq.number <= last) {
                return false;
            }
            self.remote_cseq = Some(cseq.number);
        }
        if matches!(request.method, Method::Invite | Method::Update)
            && let Some(target) = contact_uri(&request.headers)
        {
            self.remote_target = target;
        }
        true
    }

    /// A 2xx to our target refresh moves the remote target to its Contact.
    pub(crate) fn refresh_target(&mut self, response: &Response) {
        if let Some(target) = contact_uri(&response.headers) {
            self.remote_target = target;
        }
    }

    /// The Request-URI and Route headers (§12.2.1.1): loose routing when the first route has
    /// `lr`, else the strict-routing form with the remote target as the last route.
    fn routing(&self) -> (Uri, Vec<Vec<u8>>) {
        let first = self.route_set.first().and_then(|value| NameAddr::parse(value).ok());
        match first {
            Some(first) if first.uri.param("lr").is_none() => {
                let mut routes = self.route_set[1..].to_vec();
                routes.push(format!("<{}>", self.remote_target).into_bytes());
                (first.uri, routes)
            }
            _ => (self.remote_target.clone(), self.route_set.clone()),
        }
    }
}

/// A name-addr as text without its tag parameter, for reuse in From/To.
pub(crate) fn without_tag(address: &NameAddr) -> String {
    let mut text = String::new();
    if let Some(name) = address.display_text() {
        text.push_str(&quoted(&name));
        text.push(' ');
    }
    text.push('<');
    text.push_str(&address.uri.to_string());
    text.push('>');
    for (name, value) in address.params.0.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("tag")) {
        text.push(';');
        text.push_str(name);
        if let Some(value) = value {
            text.push('=');
            text.push_str(value);
        }
    }
    text
}

/// `"text"` with `"` and `\` escaped.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        if !c.is_control() {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// The party a From/To/Referred-By value names (its URI as text even when it does not parse).
pub(crate) fn party_of(value: &[u8]) -> Party {
    match NameAddr::parse(value) {
        Ok(address) => Party { uri: address.uri.to_string(), display_name: address.display_text() },
        Err(_) => Party { uri: String::from_utf8_lossy(value).into_owned(), display_name: None },
    }
}

/// The URI of the first Contact.
pub(crate) fn contact_uri(headers: &crate::message::Headers) -> Option<Uri> {
    let first = headers.values(&HeaderName::Contact).next()?;
    NameAddr::parse(first).ok().map(|address| address.uri)
}

fn record_routes(headers: &crate::message::Headers) -> Vec<Vec<u8>> {
    headers.all(&HeaderName::RecordRoute).flat_map(split_values).map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn parse_request(text: &str) -> Request {
        match Message::parse(text.replace('\n', "\r\n").as_bytes()) {
            Ok(Message::Request(request)) => request,
            other => panic!("not a request: {other:?}"),
        }
    }

    #[test]
    fn a_received_invite_makes_a_dialog_that_routes_through_its_record_routes() {
        let invite = parse_request(
            "INVITE sip:k3j9@h7df.invalid;transport=ws SIP/2.0\n\
             Via: SIP/2.0/WS 127.0.0.1:8088;branch=z9hG4bKa\n\
             Record-Route: <sip:127.0.0.1:8088;transport=ws;r2=on;lr>, <sip:127.0.0.1:5060;r2=on;lr>\n\
             From: \"Ann \\\"B\\\"\" <sip:1002@framephone.test>;tag=abc\n\
             To: <sip:1001@framephone.test>\n\
             Call-ID: c1\n\
             CSeq: 7 INVITE\n\
             Contact: <sip:1002@10.0.0.2:5070>\n\
             Content-Length: 0\n\n",
        );
        let mut dialog = Dialog::as_uas(&invite, "ours").expect("dialog");
        assert_eq!(party_of(dialog.remote_uri.as_bytes()).display_name.as_deref(), Some("Ann \"B\""));
        let bye = dialog.request(Method::Bye, "SIP/2.0/WS h.invalid;branch=z9hG4bKb".into());
        assert_eq!(bye.uri.to_string(), "sip:1002@10.0.0.2:5070");
        let routes: Vec<_> = bye.headers.all(&HeaderName::Route).collect();
        assert_eq!(routes, [&b"<sip:127.0.0.1:8088;transport=ws;r2=on;lr>"[..], b"<sip:127.0.0.1:5060;r2=on;lr>"]);
        assert_eq!(bye.headers.get_str(&HeaderName::From), Some("<sip:1001@framephone.test>;tag=ours"));
        assert_eq!(bye.headers.get_str(&HeaderName::To), Some("\"Ann \\\"B\\\"\" <sip:1002@framephone.test>;tag=abc"));
        assert_eq!(bye.headers.get_str(&HeaderName::CSeq), Some("1 BYE"));
        let mut again = invite.clone();
        again.headers.set(HeaderName::CSeq, "7 INVITE");
        assert!(!dialog.accept_request(&again), "an old CSeq is refused");
    }

    #[test]
    fn a_strict_router_gets_the_request_uri_and_the_target_goes_last() {
        let mut dialog = Dialog {
            call_id: "c".into(),
            local_tag: "l".into(),
            remote_tag: "r".into(),
            local_uri: "<sip:a@x>".into(),
            remote_uri: "<sip:b@x>".into(),
            local_cseq: 1,
            remote_cseq: None,
            remote_target: Uri::sip(Some("b"), "10.0.0.9"),
            route_set: vec![b"<sip:proxy.x>".to_vec(), b"<sip:p2.x;lr>".to_vec()],
        };
        let request = dialog.request(Method::Info, "SIP/2.0/UDP h;branch=z9hG4bKc".into());
        assert_eq!(request.uri.to_string(), "sip:proxy.x");
        let routes: Vec<_> = request.headers.all(&HeaderName::Route).collect();
        assert_eq!(routes, [&b"<sip:p2.x;lr>"[..], b"<sip:b@10.0.0.9>"]);
    }
}
