//! A call's log on the instance: a row of `sn_openframe_phone_log` through the Table API, or
//! the same row through `/api/now/openframe/voice-interaction` when the instance has it. The
//! SIP Call-ID in `call_id` is the idempotency key: an update first looks the row up by it
//! ([`find_request`]), then patches it, or creates it when there is none.

use serde_json::{Map, Value, json};

use super::answer::{self, Answer};
use super::{Body, Method, Request, is_sys_id, table_url};
use crate::activity::outbox::PostOutcome;
use crate::activity::utc_time::utc_date_time;
use crate::activity::{CallDirection, CallLog, form_encoding};
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// The phone-log table.
pub const TABLE: &str = "sn_openframe_phone_log";
/// The openframe API's interaction endpoint.
pub const VOICE_INTERACTION_PATH: &str = "/api/now/openframe/voice-interaction";

/// The row's fields for `log`.
pub fn row(log: &CallLog) -> Map<String, Value> {
    let (document_table, document_id) = match &log.record {
        Some(record) => (record.object.as_str(), record.id.as_str()),
        None => ("", ""),
    };
    let fields = json!({
        "call_id": log.call_id,
        "agent": log.agent,
        "direction": match log.direction { CallDirection::Inbound => "inbound", CallDirection::Outbound => "outbound" },
        "phone_number": log.number,
        "caller_name": log.party,
        "start_time": utc_date_time(log.started),
        "duration": log.seconds.to_string(),
        "outcome": log.outcome.words(),
        "disposition": log.disposition.clone().unwrap_or_default(),
        "notes": log.notes,
        "document_table": document_table,
        "document_id": document_id,
        "short_description": log.subject(),
    });
    match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Creates the row.
pub fn create_request(instance: &Origin, log: &CallLog) -> Request {
    json_request(Method::Post, table_url(instance, TABLE), &Value::Object(row(log)))
}

/// Looks up the agent's row with the log's Call-ID: a caller chooses the Call-ID of an inbound
/// call, and one reusing another call's must not reach another agent's row. None for values
/// that could not be matched exactly (an encoded query cannot hold `^`, which no SIP Call-ID or
/// user contains).
pub fn find_request(instance: &Origin, log: &CallLog) -> Option<Request> {
    let exact = |value: &str| !value.is_empty() && !value.contains('^');
    if !exact(&log.call_id) || !exact(&log.agent) {
        return None;
    }
    let parameters = form_encoding::pairs(&[
        ("sysparm_query", &format!("call_id={}^agent={}", log.call_id, log.agent)),
        ("sysparm_fields", "sys_id"),
        ("sysparm_limit", "1"),
    ]);
    Some(Request {
        method: Method::Get,
        url: format!("{}?{parameters}", table_url(instance, TABLE)),
        body: None,
        authorised: true,
    })
}

/// The `sys_id` of the row a successful lookup found, if any.
pub fn found_row(body: &str) -> Result<Option<String>, String> {
    let value: Value = serde_json::from_str(body).map_err(|_| t("crm.phone-log.not-json"))?;
    let rows = value
        .get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| t_args("crm.phone-log.no-list", &[("key", "result")]))?;
    match rows.first() {
        None => Ok(None),
        Some(row) => match row.get("sys_id").and_then(Value::as_str) {
            Some(id) if is_sys_id(id) => Ok(Some(id.to_owned())),
            _ => Err(t_args("crm.phone-log.no-sys-id", &[("field", "sys_id")])),
        },
    }
}

/// Updates the row `sys_id` (from [`found_row`]) with the log as it stands now.
pub fn update_request(instance: &Origin, sys_id: &str, log: &CallLog) -> Option<Request> {
    is_sys_id(sys_id).then(|| {
        json_request(Method::Patch, format!("{}/{sys_id}", table_url(instance, TABLE)), &Value::Object(row(log)))
    })
}

/// Creates the interaction and its phone-log row through the openframe API.
pub fn voice_interaction_request(instance: &Origin, log: &CallLog) -> Request {
    let related: Vec<Value> =
        log.record.iter().map(|record| json!({ "documentTable": record.object, "documentId": record.id })).collect();
    let body = json!({
        "interaction": {
            "userPhoneNumber": log.number,
            "callbackPhoneNumber": log.number,
            "clientSessionId": log.call_id,
        },
        "phoneLogs": [Value::Object(row(log))],
        "relatedRecords": related,
    });
    json_request(Method::Post, format!("{instance}{VOICE_INTERACTION_PATH}"), &body)
}

/// What the openframe API's answer means: a 2xx counts only with `"status":"SUCCESS"`.
pub fn voice_interaction_outcome(instance: &Origin, answer: &Answer<'_>) -> PostOutcome {
    if !answer.is_success() {
        return answer::post_outcome(instance, answer);
    }
    let status = serde_json::from_str::<Value>(answer.body)
        .ok()
        .and_then(|v| v.pointer("/result/status").and_then(Value::as_str).map(str::to_owned));
    let url = format!("{instance}{VOICE_INTERACTION_PATH}");
    match status.as_deref() {
        Some("SUCCESS") => PostOutcome::Posted,
        Some(other) => PostOutcome::Refused(t_args("crm.phone-log.status", &[("url", &url), ("status", other)])),
        None => PostOutcome::Refused(t_args("crm.phone-log.no-status", &[("url", &url)])),
    }
}

fn json_request(method: Method, url: String, body: &Value) -> Request {
    Request { method, url, body: Some(Body::Json(body.to_string())), authorised: true }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::RecordRef;
    use crate::history::Outcome;

    fn instance() -> Origin {
        Origin::parse("https://acme.service-now.com").expect("origin")
    }

    fn log() -> CallLog {
        CallLog {
            call_id: "a84b4c76e66710@pc33.atlanta.example.com".into(),
            agent: "1001".into(),
            direction: CallDirection::Outbound,
            number: "+1 555 010 0177".into(),
            party: "Ana Díaz".into(),
            started: 1_767_225_600_000 + 3_723_000,
            seconds: 95,
            outcome: Outcome::Answered,
            disposition: Some("Resolved".into()),
            notes: "Asked for a \"callback\"\nnext week".into(),
            record: Some(RecordRef {
                object: "customer_contact".into(),
                id: "c0a7ac7000000000000000000000000a1".into(),
                name: "Ana Díaz".into(),
                phone: None,
            }),
        }
    }

    #[test]
    fn the_row_carries_every_field_the_contract_names() {
        assert_eq!(
            Value::Object(row(&log())),
            json!({
                "call_id": "a84b4c76e66710@pc33.atlanta.example.com", "agent": "1001", "direction": "outbound",
                "phone_number": "+1 555 010 0177", "caller_name": "Ana Díaz", "start_time": "2026-01-01 01:02:03",
                "duration": "95", "outcome": "Answered", "disposition": "Resolved",
                "notes": "Asked for a \"callback\"\nnext week", "document_table": "customer_contact",
                "document_id": "c0a7ac7000000000000000000000000a1",
                "short_description": "Outbound call to Ana Díaz (+1 555 010 0177)"
            })
        );
        let bare = CallLog { record: None, disposition: None, direction: CallDirection::Inbound, ..log() };
        let fields = row(&bare);
        assert_eq!((fields["document_table"].as_str(), fields["disposition"].as_str()), (Some(""), Some("")));
        assert_eq!(fields["direction"], "inbound");
    }

    #[test]
    fn creating_posts_json_to_the_phone_log_table() {
        let request = create_request(&instance(), &log());
        assert_eq!(
            (request.method, request.url.as_str()),
            (Method::Post, "https://acme.service-now.com/api/now/table/sn_openframe_phone_log")
        );
        let body = request.body.expect("a body");
        assert_eq!(body.content_type(), "application/json");
        let sent: Value = serde_json::from_str(body.text()).expect("JSON");
        assert_eq!(sent["notes"], "Asked for a \"callback\"\nnext week");
    }

    #[test]
    fn an_update_finds_the_row_by_call_id_then_patches_it() {
        let find = find_request(&instance(), &log()).expect("a lookup");
        assert_eq!(
            find.url,
            "https://acme.service-now.com/api/now/table/sn_openframe_phone_log?sysparm_query=call_id%3Da84b4c76e66710%40pc33.atlanta.example.com%5Eagent%3D1001\
             &sysparm_fields=sys_id&sysparm_limit=1"
        );
        let with = |call_id: &str, agent: &str| CallLog { call_id: call_id.into(), agent: agent.into(), ..log() };
        assert_eq!(find_request(&instance(), &with("x^ORsys_id!=0", "1001")), None, "a Call-ID cannot add a condition");
        assert_eq!(find_request(&instance(), &with("", "1001")), None);
        assert_eq!(find_request(&instance(), &with("a@b", "1001^ORagent=1002")), None, "nor can a user");
        assert_eq!(found_row(r#"{"result":[{"sys_id":"0123abcd"}]}"#), Ok(Some("0123abcd".into())));
        assert_eq!(found_row(r#"{"result":[]}"#), Ok(None));
        assert!(found_row(r#"{"result":[{"sys_id":"../sys_user"}]}"#).is_err());
        assert!(found_row("nope").is_err());
        let patch = update_request(&instance(), "0123abcd", &log()).expect("a patch");
        assert_eq!(
            (patch.method, patch.url.as_str()),
            (Method::Patch, "https://acme.service-now.com/api/now/table/sn_openframe_phone_log/0123abcd")
        );
        assert_eq!(update_request(&instance(), "../../sys_user", &log()), None);
    }

    #[test]
    fn the_voice_interaction_carries_the_row_and_the_record() {
        let request = voice_interaction_request(&instance(), &log());
        assert_eq!(request.url, "https://acme.service-now.com/api/now/openframe/voice-interaction");
        let sent: Value = serde_json::from_str(request.body.expect("a body").text()).expect("JSON");
        assert_eq!(sent["interaction"]["clientSessionId"], "a84b4c76e66710@pc33.atlanta.example.com");
        assert_eq!(sent["interaction"]["userPhoneNumber"], "+1 555 010 0177");
        assert_eq!(sent["phoneLogs"][0]["disposition"], "Resolved");
        assert_eq!(
            sent["relatedRecords"],
            json!([{"documentTable": "customer_contact", "documentId": "c0a7ac7000000000000000000000000a1"}])
        );
        let answer = |status, body| voice_interaction_outcome(&instance(), &Answer { status, retry_after: None, body });
        assert_eq!(answer(200, r#"{"result":{"status":"SUCCESS","interactionSysId":"1"}}"#), PostOutcome::Posted);
        assert!(matches!(answer(200, r#"{"result":{"status":"FAILURE"}}"#), PostOutcome::Refused(_)));
        let missing = answer(400, r#"{"error":{"message":"Requested URI does not represent any resource"}}"#);
        assert!(
            matches!(&missing, PostOutcome::Refused(m) if m.contains("does not represent any resource")),
            "{missing:?}"
        );
    }
}
