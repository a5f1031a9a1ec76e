//! The host emulators. Their pages and scripts live in `assets/` and are compiled in, so the
//! server binary is self-contained.

pub(crate) mod salesforce;
pub(crate) mod salesforce_oauth;
pub(crate) mod salesforce_rest;
pub(crate) mod servicenow;

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// What every emulator page needs to know about the other origins.
#[derive(Clone)]
pub(crate) struct Pages {
    /// Origin of the widget.
    pub widget: String,
}

impl Pages {
    /// An HTML page with `{{WIDGET}}` and `{{SELF}}` filled in.
    pub(crate) fn html(&self, template: &'static str, own_origin: &str) -> Response {
        let body = template.replace("{{WIDGET}}", &self.widget).replace("{{SELF}}", own_origin);
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
            .into_response()
    }
}

/// A script, served as the real hosts serve theirs.
pub(crate) fn script(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response()
}

/// A style sheet.
pub(crate) fn style(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], body).into_response()
}

/// The log panel and styles both emulators share.
pub(crate) const COMMON_CSS: &str = include_str!("../../assets/common/emulator.css");
/// The emulator log, shared by both emulators' top pages.
pub(crate) const COMMON_LOG_JS: &str = include_str!("../../assets/common/log.js");
