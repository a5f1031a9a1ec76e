//! The admin UI's files at `/admin/`, with headers that keep the page to itself: a CSP that
//! allows only its own scripts (and wasm), no framing, no referrer, no MIME sniffing. The
//! service root redirects there.

use std::path::PathBuf;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::services::ServeDir;

const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; \
    img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    crate::page_headers::guard(&mut response, CSP, "no-cache");
    response
}

/// `/admin/` from `dir`, or an answer saying how to install it; `/` redirects there.
pub fn router(dir: Option<PathBuf>) -> Router {
    let admin = match dir {
        Some(dir) => Router::new().nest_service("/admin", ServeDir::new(dir)),
        None => Router::new().route(
            "/admin/",
            get(|| async {
                let message = "The admin UI is not installed: build it with scripts/build-admin.sh and set FRAMEPHONE_ADMIN_DIR to crates/admin/dist.";
                (StatusCode::NOT_FOUND, message).into_response()
            }),
        ),
    };
    admin.layer(middleware::from_fn(page_headers)).route("/", get(|| async { Redirect::to("/admin/") }))
}
