//! SIP messages as owned values: a start line, headers in order, and a body of bytes.
//!
//! Header values are kept as the bytes that arrived (folded lines joined by one space), so that
//! unknown headers travel unchanged and non-UTF-8 bytes are never lost; the typed views in
//! [`crate::headers`] parse a value when someone asks for it.

mod header_name;
mod method;
mod parse;
mod serialize;
mod uri;

pub use header_name::HeaderName;
pub use method::Method;
pub use parse::{MAX_HEADERS, MAX_MESSAGE_BYTES, ParseError};
pub use serialize::{SerializeError, has_line_breaking_byte};
pub(crate) use uri::split_host_port;
pub use uri::{Scheme, Uri, UriError};

pub(crate) use parse::{is_token_byte, parse_lenient, trim as trim_lws};

/// The only SIP version this crate speaks.
pub const SIP_2_0: &str = "SIP/2.0";

/// A request or a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// A SIP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub uri: Uri,
    /// The version as sent (`SIP/2.0`).
    pub version: String,
    /// Headers in order.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The version as sent (`SIP/2.0`).
    pub version: String,
    /// The status code (100–699 in a valid response).
    pub status: u16,
    /// The reason phrase, as bytes (it may hold UTF-8 text).
    pub reason: Vec<u8>,
    /// Headers in order.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

/// One header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Its name.
    pub name: HeaderName,
    /// Its value with surrounding whitespace removed and folded lines joined.
    pub value: Vec<u8>,
}

/// Headers in the order they arrived or were added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers(Vec<Header>);

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// Appends a header.
    pub fn push(&mut self, name: HeaderName, value: impl Into<Vec<u8>>) {
        self.0.push(Header { name, value: value.into() });
    }

    /// Inserts a header before all others (a proxy's Via, a Route).
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<Vec<u8>>) {
        self.0.insert(0, Header { name, value: value.into() });
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&[u8]> {
        self.0.iter().find(|h| &h.name == name).map(|h| h.value.as_slice())
    }

    /// The first value of `name` as text, if it is UTF-8.
    pub fn get_str(&self, name: &HeaderName) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every header line named `name`, in order.
    pub fn all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0.iter().filter(move |h| &h.name == name).map(|h| h.value.as_slice())
    }

    /// Every comma-separated value of every `name` line, in order (commas inside quotes and
    /// angle brackets do not separate).
    pub fn values<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.all(name).flat_map(crate::headers::split_values)
    }

    /// How many lines are named `name`.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.0.iter().filter(|h| &h.name == name).count()
    }

    /// Removes every line named `name`.
    pub fn remove(&mut self, name: &HeaderName) {
        self.0.retain(|h| &h.name != name);
    }

    /// Replaces every line named `name` with one line.
    pub fn set(&mut self, name: HeaderName, value: impl Into<Vec<u8>>) {
        // The new line takes the place of the first old one; nothing before it moves.
        let at = self.0.iter().position(|h| h.name == name).unwrap_or(self.0.len());
        self.0.retain(|h| h.name != name);
        self.0.insert(at.min(self.0.len()), Header { name, value: value.into() });
    }

    /// All lines, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.0.iter()
    }

    /// How many lines there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Message {
    /// Parses one whole message (RFC 7118: a WebSocket message holds exactly one).
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        parse::parse(bytes)
    }

    /// Serializes the message; `Content-Length` is written to match the body. A CR, LF or NUL
    /// outside the body is refused.
    pub fn to_bytes(&self) -> Result<Vec<u8>, SerializeError> {
        serialize::to_bytes(self)
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }
}

impl Request {
    /// A request with no headers and no body.
    pub fn new(method: Method, uri: Uri) -> Self {
        Request { method, uri, version: SIP_2_0.to_owned(), headers: Headers::new(), body: Vec::new() }
    }

    /// Serializes the request (a CR, LF or NUL outside the body is refused).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SerializeError> {
        serialize::request_bytes(self)
    }
}

impl Response {
    /// A response with the standard reason phrase for `status` and no headers.
    pub fn new(status: u16) -> Self {
        Response {
            version: SIP_2_0.to_owned(),
            status,
            reason: reason_phrase(status).as_bytes().to_vec(),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// A response to `request` (RFC 3261 §8.2.6.2): Via, From, To, Call-ID and CSeq copied,
    /// and a To tag added when the request had none and `to_tag` is given.
    pub fn to_request(request: &Request, status: u16, to_tag: Option<&str>) -> Self {
        let mut response = Response::new(status);
        for header in request.headers.iter() {
            let copy = matches!(
                header.name,
                HeaderName::Via | HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::CSeq
            );
            if !copy {
                continue;
            }
            let mut value = header.value.clone();
            if header.name == HeaderName::To
                && let Some(tag) = to_tag
                && !crate::headers::NameAddr::parse(&value).is_ok_and(|to| to.param("tag").is_some())
            {
                value.extend_from_slice(b";tag=");
                value.extend_from_slice(tag.as_bytes());
            }
            response.headers.push(header.name.clone(), value);
        }
        response
    }

    /// Serializes the response (a CR, LF or NUL outside the body is refused).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SerializeError> {
        serialize::response_bytes(self)
    }

    /// 1xx.
    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }
}

/// The reason phrase RFC 3261 §21 (and later RFCs) give a status code.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        421 => "Extension Required",
        422 => "Session Interval Too Small",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        493 => "Undecipherable",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => match status / 100 {
            1 => "Progress",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            5 => "Server Error",
            _ => "Global Failure",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{HeaderName, Headers};

    #[test]
    fn set_replaces_every_line_in_the_first_ones_place() {
        let mut headers = Headers::new();
        headers.push(HeaderName::Via, "a");
        headers.push(HeaderName::Route, "r1");
        headers.push(HeaderName::CallId, "c");
        headers.push(HeaderName::Route, "r2");
        headers.set(HeaderName::Route, "r3");
        let names: Vec<String> =
            headers.iter().map(|h| format!("{}={}", h.name, String::from_utf8_lossy(&h.value))).collect();
        assert_eq!(names, vec!["Via=a", "Route=r3", "Call-ID=c"]);
        headers.set(HeaderName::Expires, "60");
        assert_eq!(headers.iter().last().map(|h| h.name.clone()), Some(HeaderName::Expires));
    }
}
