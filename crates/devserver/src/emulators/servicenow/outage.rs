//! The switch that takes the REST API down: while it is on, every `/api/now/*` request answers
//! `503 Service Unavailable`, as an instance does during an upgrade or when its nodes are busy.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::instance::ServiceNowInstance;

/// Answers `/api/now/*` with 503 while the instance is down.
pub(crate) async fn gate(State(instance): State<ServiceNowInstance>, request: Request, next: Next) -> Response {
    let down = instance.lock().unavailable_until.is_some_and(|until| Instant::now() < until);
    if down && request.uri().path().starts_with("/api/now/") {
        let body = serde_json::json!({ "error": { "message": "Service Unavailable" } });
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body.to_string(),
        )
            .into_response();
    }
    next.run(request).await
}
