//! A call log posted to Salesforce by the service, through the REST API, as the Task the
//! softphone's own `saveLog` writes (`framephone::activity::salesforce_task`): the Task is
//! looked up by Call-ID, direction and subject, then updated, or created when there is none, so
//! that a retry never duplicates it and a caller who reuses another call's Call-ID does not
//! reach that call's Task unless it also came from the same number to the same party.

use framephone::activity::CallLog;
use framephone::activity::outbox::PostOutcome;
use framephone::activity::salesforce_task::{is_salesforce_id, lightning_value, task_fields};
use framephone::activity::servicenow::answer::retry_after_ms;
use serde_json::Value;

use crate::crm_request::{Received, receive};
use crate::outbox::Delivery;
use crate::secret::Secret;

/// Longest org message kept in a log's last error.
const MAX_MESSAGE_CHARS: usize = 300;

/// Where the REST API of an org answers.
pub struct Org<'a> {
    /// The My Domain URL.
    pub my_domain: &'a str,
    /// The API version, `68.0`.
    pub api_version: &'a str,
}

impl Org<'_> {
    fn data(&self) -> String {
        format!("{}/services/data/v{}", self.my_domain, self.api_version)
    }
}

/// `text` as a SOQL string literal: quoted, with backslash, quotes and line breaks escaped, so
/// that a Call-ID or a name cannot end the literal and add a condition.
pub fn soql_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The SOQL that finds this call's Task: the same Call-ID, direction and subject (as written,
/// clipped to the field lengths), the oldest first.
pub fn find_query(log: &CallLog) -> String {
    let fields = task_fields(log, None);
    let field = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    format!(
        "SELECT Id FROM Task WHERE CallObject = {} AND CallType = {} AND Subject = {} ORDER BY CreatedDate LIMIT 1",
        soql_literal(field("CallObject")),
        soql_literal(field("CallType")),
        soql_literal(field("Subject")),
    )
}

/// The JSON body of the Task: all its fields to create one, or to update `id` (whose Id goes in
/// the URL, not the body).
pub fn task_body(log: &CallLog, id: Option<&str>) -> Value {
    let mut value = lightning_value(log, id);
    if let Some(fields) = value.as_object_mut() {
        fields.remove("entityApiName");
        fields.remove("Id");
    }
    value
}

/// The Task a query answer found: `{"totalSize": n, "records": [{"Id": …}]}`.
pub fn found_task(body: &str) -> Result<Option<String>, String> {
    let value: Value = serde_json::from_str(body).map_err(|_| "Salesforce's query answer is not JSON".to_owned())?;
    let records = value["records"].as_array().ok_or("Salesforce's query answer has no records list")?;
    match records.first().map(|record| record["Id"].as_str()) {
        None => Ok(None),
        Some(Some(id)) if is_salesforce_id(id) => Ok(Some(id.to_owned())),
        Some(_) => Err("Salesforce's query answer names no valid Task Id".to_owned()),
    }
}

/// The Id a create answered with: `{"id": …, "success": true}`.
pub fn created_id(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value["id"].as_str().filter(|id| is_salesforce_id(id)).map(str::to_owned)
}

/// The org's error in words: `<org> answered HTTP 400 (INVALID_FIELD): …`. Salesforce answers
/// a list of `{message, errorCode}`.
pub fn describe(my_domain: &str, status: u16, body: &str) -> String {
    let first = serde_json::from_str::<Value>(body).ok().and_then(|v| v.as_array()?.first().cloned());
    let text = |name: &str| first.as_ref().and_then(|e| e[name].as_str()).map(str::trim).unwrap_or_default().to_owned();
    let (code, message) = (text("errorCode"), text("message"));
    let message: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    match (code.is_empty(), message.is_empty()) {
        (true, true) => format!("{my_domain} answered HTTP {status}"),
        (false, true) => format!("{my_domain} answered HTTP {status} ({code})"),
        (true, false) => format!("{my_domain} answered HTTP {status}: {message}"),
        (false, false) => format!("{my_domain} answered HTTP {status} ({code}): {message}"),
    }
}

/// What an answer means for the outbox. The daily API allowance running out (403
/// `REQUEST_LIMIT_EXCEEDED`) passes, so it is waited out like a busy org.
pub fn post_outcome(my_domain: &str, received: &Received) -> PostOutcome {
    let busy = || PostOutcome::Busy {
        reason: describe(my_domain, received.status, &received.body),
        retry_after_ms: received.retry_after.as_deref().and_then(retry_after_ms),
    };
    match received.status {
        200..=299 => PostOutcome::Posted,
        401 => PostOutcome::Unauthorised,
        403 if received.body.contains("REQUEST_LIMIT_EXCEEDED") => busy(),
        429 | 500..=599 => busy(),
        status => PostOutcome::Refused(describe(my_domain, status, &received.body)),
    }
}

/// Posts `log` to `org`: an update of `crm_id` when it is known, else (or when that Task was
/// deleted in the org) a lookup, then an update or a create.
pub async fn salesforce_post(
    http: &reqwest::Client,
    org: &Org<'_>,
    token: &Secret,
    log: &CallLog,
    crm_id: Option<String>,
) -> Delivery {
    let done = |outcome, crm_id| Delivery { outcome, crm_id, refused_token: None };
    let unknown = |reason: String| done(PostOutcome::Unknown(format!("{}: {reason}", org.my_domain)), None);
    let authorised =
        |request: reqwest::RequestBuilder| request.bearer_auth(token.expose()).header("accept", "application/json");
    let update = |id: &str| http.patch(format!("{}/sobjects/Task/{id}", org.data())).json(&task_body(log, Some(id)));
    if let Some(id) = crm_id.filter(|id| is_salesforce_id(id)) {
        match receive(authorised(update(&id))).await {
            Err(reason) => return unknown(reason),
            // Deleted in the org: the log is written anew rather than refused for good.
            Ok(received) if received.status == 404 => {}
            Ok(received) => return done(post_outcome(org.my_domain, &received), Some(id)),
        }
    }
    let query = http.get(format!("{}/query", org.data())).query(&[("q", find_query(log))]);
    let found = match receive(authorised(query)).await {
        Ok(found) => found,
        Err(reason) => return unknown(reason),
    };
    if !(200..300).contains(&found.status) {
        return done(post_outcome(org.my_domain, &found), None);
    }
    let known = match found_task(&found.body) {
        Ok(task) => task,
        Err(reason) => return done(PostOutcome::Refused(reason), None),
    };
    let request = match &known {
        Some(id) => update(id),
        None => http.post(format!("{}/sobjects/Task", org.data())).json(&task_body(log, None)),
    };
    match receive(authorised(request)).await {
        Err(reason) => unknown(reason),
        Ok(received) => {
            let created = created_id(&received.body);
            done(post_outcome(org.my_domain, &received), known.or(created))
        }
    }
}

#[cfg(test)]
mod tests {
    use framephone::activity::CallDirection;
    use framephone::history::Outcome;
    use serde_json::json;

    use super::*;

    fn log(call_id: &str) -> CallLog {
        CallLog {
            call_id: call_id.into(),
            agent: "1041".into(),
            direction: CallDirection::Inbound,
            number: "+14155550131".into(),
            party: "Lena O'Park".into(),
            started: 1_764_950_400_000,
            seconds: 95,
            outcome: Outcome::Answered,
            disposition: None,
            notes: String::new(),
            record: None,
        }
    }

    #[test]
    fn a_call_id_cannot_end_the_literal_and_add_a_condition() {
        assert_eq!(soql_literal(r"a' OR Id != 'b"), r"'a\' OR Id != \'b'");
        assert_eq!(soql_literal("back\\slash\nline\"q\""), r#"'back\\slash\nline\"q\"'"#);
        assert_eq!(
            find_query(&log("x' OR CallObject != '")),
            r"SELECT Id FROM Task WHERE CallObject = 'x\' OR CallObject != \'' AND CallType = 'Inbound' AND Subject = 'Inbound call from Lena O\'Park (+14155550131)' ORDER BY CreatedDate LIMIT 1"
        );
    }

    #[test]
    fn the_lookup_uses_the_fields_as_written_clipped_to_their_length() {
        let long = "c".repeat(300);
        let query = find_query(&log(&long));
        assert!(query.contains(&format!("CallObject = '{}'", "c".repeat(255))), "{query}");
    }

    #[test]
    fn the_body_carries_the_fields_and_no_id_or_entity() {
        let created = task_body(&log("abc@host"), None);
        assert_eq!(created["TaskSubtype"], "Call");
        assert_eq!(created["CallDurationInSeconds"], 95);
        assert!(created.get("entityApiName").is_none() && created.get("Id").is_none());
        let updated = task_body(&log("abc@host"), Some("00TDn0000000000001"));
        assert!(updated.get("Id").is_none() && updated.get("TaskSubtype").is_none());
        assert_eq!(updated["CallObject"], "abc@host");
    }

    #[test]
    fn answers_are_read_strictly() {
        let found = json!({"totalSize": 1, "done": true, "records": [{"attributes": {"type": "Task"}, "Id": "00TDn0000000000001"}]});
        assert_eq!(found_task(&found.to_string()), Ok(Some("00TDn0000000000001".into())));
        assert_eq!(found_task(r#"{"totalSize":0,"done":true,"records":[]}"#), Ok(None));
        assert!(found_task(r#"{"records":[{"Id":"../../sobjects/User"}]}"#).is_err());
        assert!(found_task("<html>").is_err());
        assert_eq!(
            created_id(r#"{"id":"00TDn0000000000002","success":true,"errors":[]}"#).as_deref(),
            Some("00TDn0000000000002")
        );
        assert_eq!(created_id(r#"{"id":"x/y","success":true}"#), None);
    }

    #[test]
    fn every_class_of_answer_has_its_outcome() {
        let org = "https://acme.my.salesforce.com";
        let answer = |status, retry_after: Option<&str>, body: &str| Received {
            status,
            retry_after: retry_after.map(str::to_owned),
            body: body.to_owned(),
        };
        assert_eq!(post_outcome(org, &answer(201, None, "{}")), PostOutcome::Posted);
        assert_eq!(post_outcome(org, &answer(204, None, "")), PostOutcome::Posted);
        let expired = r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        assert_eq!(post_outcome(org, &answer(401, None, expired)), PostOutcome::Unauthorised);
        let limit = r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#;
        assert_eq!(
            post_outcome(org, &answer(403, None, limit)),
            PostOutcome::Busy {
                reason: format!("{org} answered HTTP 403 (REQUEST_LIMIT_EXCEEDED): TotalRequests Limit exceeded."),
                retry_after_ms: None
            }
        );
        assert_eq!(
            post_outcome(org, &answer(503, Some("30"), "")),
            PostOutcome::Busy { reason: format!("{org} answered HTTP 503"), retry_after_ms: Some(30_000) }
        );
        let invalid = r#"[{"message":"No such column 'Colour' on sobject of type Task","errorCode":"INVALID_FIELD"}]"#;
        assert_eq!(
            post_outcome(org, &answer(400, None, invalid)),
            PostOutcome::Refused(format!(
                "{org} answered HTTP 400 (INVALID_FIELD): No such column 'Colour' on sobject of type Task"
            ))
        );
        let forbidden =
            r#"[{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]"#;
        assert!(matches!(post_outcome(org, &answer(403, None, forbidden)), PostOutcome::Refused(_)));
    }
}
