//! The REST Table API (`/api/now/table/…`) behind the OAuth bearer token: searching the
//! instance's tables with an encoded query, and inserting and updating phone-log rows. The
//! signed-in user may read every table but write only the phone log, as the
//! `sn_openframe_user` role allows.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::encoded_query::EncodedQuery;
use super::instance::{ServiceNowInstance, State as Instance};
use super::phone_log;

/// Tables the instance has besides those of its records.
const TABLES: [&str; 7] = [
    "customer_contact",
    "sys_user",
    "customer_account",
    "sn_customerservice_case",
    "incident",
    "task",
    phone_log::TABLE,
];

/// A JSON answer of the REST API.
pub(crate) fn answer(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], body.to_string()).into_response()
}

/// A REST API failure as the instance words it.
pub(crate) fn failure(status: StatusCode, message: &str, detail: Option<&str>) -> Response {
    answer(status, &json!({ "error": { "message": message, "detail": detail }, "status": "failure" }))
}

/// The answer to a request without a live access token.
pub(crate) fn unauthenticated() -> Response {
    failure(StatusCode::UNAUTHORIZED, "User Not Authenticated", Some("Required to provide Auth information"))
}

/// A request body that must be a JSON object; none when it is not one.
pub(crate) fn json_object(body: &Bytes) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// The answer to a body that is no JSON object.
pub(crate) fn unreadable_body() -> Response {
    failure(StatusCode::BAD_REQUEST, "Exception while reading request", Some("The payload is not a JSON object"))
}

fn known_table(state: &Instance, table: &str) -> bool {
    TABLES.contains(&table) || state.records.iter().any(|r| r.table == table)
}

fn invalid_table(table: &str) -> Response {
    failure(StatusCode::BAD_REQUEST, &format!("Invalid table {table}"), None)
}

fn not_found() -> Response {
    failure(
        StatusCode::NOT_FOUND,
        "No Record found",
        Some("Record doesn't exist or ACL restricts the record retrieval"),
    )
}

fn not_writable() -> Response {
    failure(StatusCode::FORBIDDEN, "Operation Failed", Some("ACL Exception Insert Failed due to security constraints"))
}

/// Every row of `table`: the phone log's, or the records'.
fn rows(state: &Instance, table: &str) -> Vec<Map<String, Value>> {
    if table == phone_log::TABLE {
        return state.phone_logs.clone();
    }
    state.records.iter().filter(|r| r.table == table).map(|r| r.row()).collect()
}

/// `row` with only `fields` (comma-separated), or whole when none are asked for.
fn select(row: Map<String, Value>, fields: Option<&String>) -> Map<String, Value> {
    match fields.map(|f| f.split(',').map(str::trim).filter(|f| !f.is_empty()).collect::<Vec<_>>()) {
        Some(fields) if !fields.is_empty() => {
            row.into_iter().filter(|(name, _)| fields.contains(&name.as_str())).collect()
        }
        _ => row,
    }
}

/// `GET /api/now/table/{table}`: the rows matching `sysparm_query`, with `sysparm_fields`, at
/// most `sysparm_limit` of them.
pub(crate) async fn list(
    State(instance): State<ServiceNowInstance>,
    Path(table): Path<String>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let state = instance.lock();
    if !state.oauth.authorises(&headers) {
        return unauthenticated();
    }
    if !known_table(&state, &table) {
        return invalid_table(&table);
    }
    let query = match EncodedQuery::parse(params.get("sysparm_query").map(String::as_str).unwrap_or("")) {
        Ok(query) => query,
        Err(error) => return failure(StatusCode::BAD_REQUEST, &error.to_string(), None),
    };
    let limit = params.get("sysparm_limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(usize::MAX);
    let result: Vec<Value> = rows(&state, &table)
        .into_iter()
        .filter(|row| query.matches(|field| row.get(field).and_then(Value::as_str)))
        .take(limit)
        .map(|row| Value::Object(select(row, params.get("sysparm_fields"))))
        .collect();
    answer(StatusCode::OK, &json!({ "result": result }))
}

/// `GET /api/now/table/{table}/{sys_id}`: one row.
pub(crate) async fn read(
    State(instance): State<ServiceNowInstance>,
    Path((table, sys_id)): Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let state = instance.lock();
    if !state.oauth.authorises(&headers) {
        return unauthenticated();
    }
    if !known_table(&state, &table) {
        return invalid_table(&table);
    }
    match rows(&state, &table).into_iter().find(|row| row.get("sys_id").and_then(Value::as_str) == Some(&sys_id)) {
        Some(row) => answer(StatusCode::OK, &json!({ "result": select(row, params.get("sysparm_fields")) })),
        None => not_found(),
    }
}

/// `POST /api/now/table/{table}`: a new phone-log row (201), and its work note.
pub(crate) async fn insert(
    State(instance): State<ServiceNowInstance>,
    Path(table): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = instance.lock();
    if !state.oauth.authorises(&headers) {
        return unauthenticated();
    }
    if !known_table(&state, &table) {
        return invalid_table(&table);
    }
    if table != phone_log::TABLE {
        return not_writable();
    }
    let Some(values) = json_object(&body) else {
        return unreadable_body();
    };
    let row = phone_log::insert(&mut state, &values);
    answer(StatusCode::CREATED, &json!({ "result": row }))
}

/// `PATCH /api/now/table/{table}/{sys_id}`: changes a phone-log row.
pub(crate) async fn update(
    State(instance): State<ServiceNowInstance>,
    Path((table, sys_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = instance.lock();
    if !state.oauth.authorises(&headers) {
        return unauthenticated();
    }
    if !known_table(&state, &table) {
        return invalid_table(&table);
    }
    if table != phone_log::TABLE {
        return if state.record(&table, &sys_id).is_some() { not_writable() } else { not_found() };
    }
    let Some(values) = json_object(&body) else {
        return unreadable_body();
    };
    match phone_log::update(&mut state, &sys_id, &values) {
        Some(row) => answer(StatusCode::OK, &json!({ "result": row })),
        None => not_found(),
    }
}
