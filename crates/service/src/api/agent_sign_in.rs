//! `GET /agent/sign-in`: the window the phone opens when the agent chooses Authorise. The
//! agent signs in here, at the service's own origin (no third-party cookie, no password in the
//! CRM's frame), and the page's script (`/agent/sign-in.js`: no inline script under its CSP)
//! posts the bearer token to the phone at the `origin` it names, which must be one of the
//! service's widget origins, so that no other page can have a token sent to it.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::oauth_callback::escape;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const SCRIPT: &str = include_str!("../../static/agent-sign-in.js");

/// Whether `state` is what the phone sends: 16 to 128 base64url characters.
fn is_state(state: &str) -> bool {
    (16..=128).contains(&state.len()) && state.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn headers(mut response: Response) -> Response {
    crate::page_headers::guard(&mut response, CSP, "no-store");
    response
}

fn html(status: StatusCode, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Sign in to the phone</title>\n\
         <link rel=\"stylesheet\" href=\"/admin/admin.css\">\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n"
    );
    headers((status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

/// `GET /agent/sign-in?origin=<the phone's origin>&state=<the phone's request>`.
#[utoipa::path(get, path = "/agent/sign-in", tag = "sessions", summary = "The agent's sign-in window, opened by the phone", params(("origin" = String, Query, description = "The phone's origin: one of the service's widget origins"), ("state" = String, Query, description = "The phone's request, sent back with the token")), responses((status = 200, description = "The sign-in page"), (status = 400, description = "A page saying why not")))]
pub async fn page(State(state): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    let (origin, request) = (get("origin"), get("state"));
    if !state.widget_origins.known(&state.db.pool, origin).await {
        let why = if origin.is_empty() {
            "This window must be opened by the phone's Authorise.".to_owned()
        } else {
            format!(
                "{} is not one of the phones this service serves: an administrator lists it under Widget \
                 configuration (or the operator in FRAMEPHONE_WIDGET_ORIGINS).",
                origin.chars().take(100).collect::<String>()
            )
        };
        let body = format!("<section>\n<h1>Not signed in</h1>\n<p role=\"alert\">{}</p>\n</section>\n", escape(&why));
        return html(StatusCode::BAD_REQUEST, &body);
    }
    if !is_state(request) {
        let body = "<section>\n<h1>Not signed in</h1>\n<p role=\"alert\">This window was opened without a valid \
                    request: choose Authorise in the phone again.</p>\n</section>\n";
        return html(StatusCode::BAD_REQUEST, body);
    }
    let single_sign_on = single_sign_on_links(&state, origin, get("nonce_hash")).await;
    let body = format!(
        "<section aria-labelledby=\"heading\">\n<h1 id=\"heading\">Sign in to the phone</h1>\n\
         <p>For the phone at {origin}. Your password is sent to this service only.</p>\n{single_sign_on}\
         <form id=\"sign-in\" data-origin=\"{origin}\" data-state=\"{request}\">\n\
         <label>Username <input name=\"username\" autocomplete=\"username\" required autofocus></label>\n\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n\
         <p id=\"problem\" role=\"alert\" hidden></p>\n\
         <div class=\"fp-actions\"><button type=\"submit\" class=\"fp-primary\">Sign in</button></div>\n</form>\n\
         <p id=\"done\" role=\"status\" hidden>Signed in. You can close this window.</p>\n</section>\n\
         <script type=\"module\" src=\"/agent/sign-in.js\"></script>\n",
        origin = escape(origin),
        request = escape(request),
    );
    html(StatusCode::OK, &body)
}

/// Links to the single sign-on of each tenant whose phone `origin` may be and whose agents'
/// single sign-on is on, carrying the phone's nonce hash; none for a phone that sent none.
async fn single_sign_on_links(state: &AppState, origin: &str, nonce_hash: &str) -> String {
    if nonce_hash.len() != 43 || !nonce_hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return String::new();
    }
    let pool = &state.db.pool;
    let candidates = state.widget_origins.tenants_of(pool, origin).await;
    let with_sso = crate::sso::store::enabled(pool, crate::sso::Scope::Agents).await.unwrap_or_default();
    if with_sso.is_empty() {
        return String::new();
    }
    let mut enabled = crate::tenants::all(pool).await.unwrap_or_default();
    enabled.retain(|t| with_sso.contains(&t.id) && candidates.as_ref().is_none_or(|c| c.contains(&t.id)));
    let several = enabled.len() > 1;
    enabled
        .iter()
        .map(|tenant| {
            let href = format!(
                "/sso/{}/agents/start?origin={}&nonce_hash={nonce_hash}",
                tenant.slug,
                url::form_urlencoded::byte_serialize(origin.as_bytes()).collect::<String>()
            );
            let label = if several {
                format!("Sign in with single sign-on ({})", tenant.name)
            } else {
                "Sign in with single sign-on".into()
            };
            format!("<p><a class=\"fp-primary\" href=\"{}\">{}</a></p>\n", escape(&href), escape(&label))
        })
        .collect()
}

/// `GET /agent/sign-in.js`: the page's script.
pub async fn script() -> Response {
    headers(([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_what_the_phone_makes() {
        assert!(is_state("abcdefghijklmnop_-01"));
        assert!(!is_state("short"));
        assert!(!is_state("abcdefghijklmnop\"><script>"));
        assert!(!is_state(&"a".repeat(129)));
    }
}
