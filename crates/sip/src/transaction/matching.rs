//! Which transaction a message belongs to (RFC 3261 §17.1.3 and §17.2.3), including the
//! RFC 2543 fallback for requests whose branch lacks the magic cookie, and CANCEL matching.

use crate::headers::{CSeq, NameAddr, Via, split_values};
use crate::message::{HeaderName, Headers, Method, Request, Response};

/// Identifies a client transaction: the branch we put in the top Via, and the method.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// The top Via's branch.
    pub branch: String,
    /// The request's method (CSeq method of its responses).
    pub method: Method,
}

impl ClientKey {
    /// The key of a request we send.
    pub fn of_request(request: &Request) -> Option<ClientKey> {
        let via = top_via(&request.headers)?;
        Some(ClientKey { branch: via.branch()?.to_owned(), method: request.method.clone() })
    }

    /// The key a response belongs to: its top Via branch and its CSeq method.
    pub fn of_response(response: &Response) -> Option<ClientKey> {
        let via = top_via(&response.headers)?;
        let cseq = CSeq::parse(response.headers.get(&HeaderName::CSeq)?).ok()?;
        Some(ClientKey { branch: via.branch()?.to_owned(), method: cseq.method })
    }
}

/// Identifies a server transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerKey {
    /// RFC 3261: branch (with the magic cookie), sent-by, and method (ACK counts as INVITE).
    Branch {
        /// The top Via's branch, lower-cased (branches compare case-insensitively).
        branch: String,
        /// The top Via's sent-by, lower-cased.
        sent_by: String,
        /// The method, with ACK mapped to INVITE.
        method: Method,
    },
    /// RFC 2543 peers: the request's identifying fields.
    Legacy {
        /// The Request-URI.
        uri: String,
        /// The From tag.
        from_tag: Option<String>,
        /// The Call-ID.
        call_id: Vec<u8>,
        /// The CSeq number.
        cseq: u32,
        /// The top Via, as bytes.
        via: Vec<u8>,
        /// The method, with ACK mapped to INVITE.
        method: Method,
    },
}

impl ServerKey {
    /// The transaction a received request belongs to (its own, or the INVITE's for an ACK).
    pub fn of_request(request: &Request) -> Option<ServerKey> {
        let method = match request.method {
            Method::Ack => Method::Invite,
            ref other => other.clone(),
        };
        Self::with_method(request, method)
    }

    /// The INVITE transaction a received CANCEL cancels.
    pub fn cancelled_by(cancel: &Request) -> Option<ServerKey> {
        (cancel.method == Method::Cancel).then(|| Self::with_method(cancel, Method::Invite)).flatten()
    }

    fn with_method(request: &Request, method: Method) -> Option<ServerKey> {
        let via = top_via(&request.headers)?;
        if via.is_rfc3261() {
            let sent_by = match via.port {
                Some(port) => format!("{}:{port}", via.host.to_ascii_lowercase()),
                None => via.host.to_ascii_lowercase(),
            };
            return Some(ServerKey::Branch { branch: via.branch()?.to_ascii_lowercase(), sent_by, method });
        }
        let from = NameAddr::parse(request.headers.get(&HeaderName::From)?).ok()?;
        let cseq = CSeq::parse(request.headers.get(&HeaderName::CSeq)?).ok()?;
        let top = split_values(request.headers.get(&HeaderName::Via)?).next()?.to_vec();
        Some(ServerKey::Legacy {
            uri: request.uri.to_string(),
            from_tag: from.tag().map(str::to_owned),
            call_id: request.headers.get(&HeaderName::CallId)?.to_vec(),
            cseq: cseq.number,
            via: top,
            method,
        })
    }
}

fn top_via(headers: &Headers) -> Option<Via> {
    let first = headers.get(&HeaderName::Via)?;
    Via::parse(split_values(first).next()?).ok()
}
