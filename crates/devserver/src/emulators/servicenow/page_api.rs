//! What the workspace page fetches from the instance: the records it shows and each record's
//! activity stream, so that the page, the Table API and the tests see the same data.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::instance::ServiceNowInstance;

/// `GET /emulator/records`: every record, in the workspace's order.
pub(crate) async fn records(State(instance): State<ServiceNowInstance>) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(instance.records())).into_response()
}

/// `GET /emulator/activity/{sys_id}`: the record's activity stream, newest first.
pub(crate) async fn activity(State(instance): State<ServiceNowInstance>, Path(sys_id): Path<String>) -> Response {
    let entries: Vec<_> =
        instance.lock().activity.get(&sys_id).map(|e| e.iter().rev().cloned().collect()).unwrap_or_default();
    ([(header::CACHE_CONTROL, "no-store")], Json(entries)).into_response()
}
