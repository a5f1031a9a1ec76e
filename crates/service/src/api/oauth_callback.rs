//! `GET /oauth/callback`: where a CRM sends the administrator's popup back after Sign in with
//! ServiceNow or Salesforce's Request token. The page says what happened and, through `/admin/oauth-done.js` (no inline
//! script under the admin CSP), tells the admin page that opened it, at its own origin only,
//! then closes.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ErrorBody;
use crate::authorization;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Text safe inside HTML elements and quoted attributes.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(status: StatusCode, ok: bool, heading: &str, text: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{heading}</title>\n\
         <link rel=\"stylesheet\" href=\"/admin/admin.css\">\n<script type=\"module\" src=\"/admin/oauth-done.js\"></script>\n</head>\n\
         <body data-outcome=\"{outcome}\">\n<main>\n<section>\n<h1>{heading}</h1>\n<p role=\"{role}\">{text}</p>\n\
         <p class=\"fp-muted\">You can close this window.</p>\n</section>\n</main>\n</body>\n</html>\n",
        heading = escape(heading),
        outcome = if ok { "connected" } else { "failed" },
        role = if ok { "status" } else { "alert" },
        text = escape(text),
    );
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    crate::page_headers::guard(&mut response, CSP, "no-store");
    response
}

/// The CRM's redirect: `code` and `state`, or `error` and `state`.
#[utoipa::path(get, path = "/oauth/callback", tag = "accounts", summary = "Where the CRM sends the administrator's popup back", params(("state" = String, Query, description = "The request"), ("code" = Option<String>, Query, description = "The code"), ("error" = Option<String>, Query, description = "The refusal")), responses((status = 200, description = "A page saying what happened"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)))]
pub async fn callback(State(state): State<AppState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let get = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    let outcome = if get("error").is_empty() { Ok(get("code")) } else { Err(get("error")) };
    let redirect_uri = state.redirect_uri();
    match authorization::finish(&state.db.pool, &state.keys, &state.http, get("state"), outcome, &redirect_uri).await {
        Ok(account) => {
            tracing::info!(account = %account.name, "signed in at the CRM");
            if let Err(error) = state.account_ready(&account.tenant_id, account.kind).await {
                tracing::error!(%error, "the waiting call logs could not be made due");
            }
            page(StatusCode::OK, true, "Connected", &format!("The refresh token of {} is stored.", account.name))
        }
        Err(error) => {
            tracing::warn!(%error, "a CRM sign-in failed");
            page(StatusCode::BAD_REQUEST, false, "Not connected", &error.to_string())
        }
    }
}
