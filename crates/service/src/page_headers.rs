//! The headers every page the service serves carries, so that each keeps to itself: its own
//! CSP, no framing, no referrer, no MIME sniffing, and how long a cache may keep it.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Adds them to `response`: `csp` is the page's policy, `cache` its `Cache-Control`.
pub fn guard(response: &mut Response, csp: &'static str, cache: &'static str) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
}
