//! The pages of `/oauth_auth.do`: the question to the signed-in user, and a refused request.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::instance::SIGNED_IN_USER;

const TEMPLATE: &str = include_str!("../../../assets/servicenow/oauth_auth.html");

/// Text safe inside HTML elements and quoted attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(status: StatusCode, heading: &str, body: &str) -> Response {
    let html = TEMPLATE.replace("{{HEADING}}", &escape(heading)).replace("{{BODY}}", body);
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html)
        .into_response()
}

/// Asks the user whether `app` may act for them; the form posts back `consent` and the choice.
pub(crate) fn ask(app: &str, consent: &str) -> Response {
    let body = format!(
        "<p>Signed in as <strong>{user}</strong>. {app} will be able to read and write records as you.</p>\n    \
         <form method=\"post\" action=\"/oauth_auth.do\">\n      \
         <input type=\"hidden\" name=\"consent\" value=\"{consent}\">\n      \
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n      \
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n    </form>",
        user = escape(SIGNED_IN_USER),
        app = escape(app),
        consent = escape(consent),
    );
    page(StatusCode::OK, &format!("Allow {app} to access your ServiceNow account?"), &body)
}

/// The page of a refused authorisation request: the reason, and no way on.
pub(crate) fn refused(reason: &str) -> Response {
    page(StatusCode::BAD_REQUEST, "Authorisation refused", &format!("<p role=\"alert\">{}</p>", escape(reason)))
}
