//! The instance's CORS rules (System Web Services › REST › CORS Rules): a browser page may call
//! the REST API and the token endpoint only from an origin a rule names. For any other origin
//! the answers carry no `Access-Control-*` header at all, so the browser withholds them from
//! the page, exactly as an instance without a matching rule does.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::instance::ServiceNowInstance;

/// The methods a rule allows (the widget reads, inserts and updates).
const METHODS: &str = "GET, POST, PATCH";
/// The request headers a rule allows.
const HEADERS: &str = "Authorization, Content-Type, Accept";

/// Whether CORS rules govern `path` (the REST API and the OAuth token endpoint).
fn governed(path: &str) -> bool {
    path.starts_with("/api/now/") || path == "/oauth_token.do"
}

fn allow(headers: &mut HeaderMap, origin: &str) {
    if let Ok(origin) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(METHODS));
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(HEADERS));
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Answers preflights and adds the CORS headers to answers for origins a rule names.
pub(crate) async fn rules(State(instance): State<ServiceNowInstance>, request: Request, next: Next) -> Response {
    if !governed(request.uri().path()) {
        return next.run(request).await;
    }
    let origin = request.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = origin.filter(|origin| instance.lock().cors_domains.iter().any(|d| d.eq_ignore_ascii_case(origin)));
    let preflight_method = request.headers().get(header::ACCESS_CONTROL_REQUEST_METHOD).cloned();
    if request.method() == Method::OPTIONS
        && let Some(method) = preflight_method
    {
        let mut response = StatusCode::OK.into_response();
        let method_allowed = method.to_str().is_ok_and(|m| METHODS.split(", ").any(|allowed| allowed == m));
        if let Some(origin) = allowed.filter(|_| method_allowed) {
            allow(response.headers_mut(), &origin);
        }
        return response;
    }
    let mut response = next.run(request).await;
    if let Some(origin) = allowed {
        allow(response.headers_mut(), &origin);
    }
    response
}
