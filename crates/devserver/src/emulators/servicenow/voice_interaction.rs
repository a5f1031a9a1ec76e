//! `POST /api/now/openframe/voice-interaction`: the OpenFrame plugin's endpoint that records an
//! interaction with its phone logs and related records in one request. Each phone log becomes a
//! row of the phone-log table (so the work-notes rule runs); a row without a linked record is
//! linked to the first related record. An instance without the plugin has no such resource.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::instance::ServiceNowInstance;
use super::table_api::{answer, failure, json_object, unauthenticated, unreadable_body};
use super::{ids, phone_log};

/// Records one voice interaction.
pub(crate) async fn record(State(instance): State<ServiceNowInstance>, headers: HeaderMap, body: Bytes) -> Response {
    let mut state = instance.lock();
    if !state.oauth.authorises(&headers) {
        return unauthenticated();
    }
    if !state.voice_interaction {
        return failure(StatusCode::BAD_REQUEST, "Requested URI does not represent any resource", None);
    }
    let Some(interaction) = json_object(&body) else {
        return unreadable_body();
    };
    let related = interaction.get("relatedRecords").and_then(Value::as_array).and_then(|r| r.first()).cloned();
    let logs = interaction.get("phoneLogs").and_then(Value::as_array).cloned().unwrap_or_default();
    for log in logs.iter().filter_map(Value::as_object) {
        let mut values = log.clone();
        if let Some(related) = &related
            && values.get("document_id").and_then(Value::as_str).unwrap_or("").is_empty()
        {
            values.insert("document_table".into(), related.get("documentTable").cloned().unwrap_or_default());
            values.insert("document_id".into(), related.get("documentId").cloned().unwrap_or_default());
        }
        phone_log::insert(&mut state, &values);
    }
    state.voice_interactions.push(Value::Object(interaction));
    answer(StatusCode::OK, &json!({ "result": { "status": "SUCCESS", "interactionSysId": ids::sys_id() } }))
}
