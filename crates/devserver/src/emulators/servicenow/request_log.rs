//! What the instance was asked: tests count requests (none to a refused origin, one insert per
//! call) without reading the browser.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::instance::ServiceNowInstance;

/// Notes the method and path of every request but the workspace page's own `/emulator/` ones.
pub(crate) async fn record_request(
    State(instance): State<ServiceNowInstance>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/emulator/") {
        let entry = (request.method().to_string(), path.to_owned());
        instance.lock().requests.push(entry);
    }
    next.run(request).await
}
