//! What Salesforce is sent and read for calls, without a browser: the Task a call is logged as (by
//! the Open CTI back-ends and the integration service), the `field=value&…` string Classic's `saveLog`
//! takes, and the record map that `searchAndScreenPop` (Lightning) and `searchAndGetScreenPopUrl`
//! (Classic) answer with.

use serde_json::{Map, Value};

use crate::activity::caller_match::same_number;
use crate::activity::utc_time::utc_date;
use crate::activity::{CallDirection, CallLog, RecordRef};

/// Key prefixes of the objects a Task names in `WhoId` (people); every other record goes in
/// `WhatId`. Salesforce Ids begin with their object's key prefix: Contact `003`, Lead `00Q`.
const WHO_PREFIXES: [&str; 2] = ["003", "00Q"];
/// Objects a Task names in `WhoId`.
const WHO_OBJECTS: [&str; 2] = ["Contact", "Lead"];
/// Entries of a search answer that are not records.
const NOT_RECORDS: [&str; 2] = ["SCREEN_POP_DATA", "screenPopUrl"];
/// Longest text Salesforce keeps in a Task's Subject, CallObject and CallDisposition.
const SHORT_TEXT_CHARS: usize = 255;
/// Longest Task Description.
const DESCRIPTION_CHARS: usize = 32_000;

/// The Task fields of one call's log: what `saveLog` creates or, with `id`, updates.
/// `Id`/`entityApiName` come first, then the fields in a fixed order.
pub fn task_fields(log: &CallLog, id: Option<&str>) -> Vec<(&'static str, String)> {
    let mut fields = match id {
        Some(id) => vec![("Id", id.to_owned())],
        // TaskSubtype can only be set when the Task is created; it makes the timeline show a call.
        None => vec![("TaskSubtype", "Call".to_owned())],
    };
    let call_type = match log.direction {
        CallDirection::Inbound => "Inbound",
        CallDirection::Outbound => "Outbound",
    };
    fields.extend([
        ("Subject", clip(&log.subject(), SHORT_TEXT_CHARS)),
        ("CallType", call_type.to_owned()),
        ("CallDurationInSeconds", log.seconds.to_string()),
        ("CallObject", clip(&log.call_id, SHORT_TEXT_CHARS)),
        ("CallDisposition", clip(log.disposition.as_deref().unwrap_or_default(), SHORT_TEXT_CHARS)),
        ("Description", clip(&log.notes, DESCRIPTION_CHARS)),
        ("Status", "Completed".to_owned()),
        ("ActivityDate", utc_date(log.started)),
    ]);
    if let Some(record) = &log.record {
        fields.push((who_or_what(record), record.id.clone()));
    }
    fields
}

/// The Lightning `saveLog` value: the Task fields as an object, with `entityApiName: "Task"`
/// when it creates one. Numbers stay numbers.
pub fn lightning_value(log: &CallLog, id: Option<&str>) -> Value {
    let mut value = Map::new();
    if id.is_none() {
        value.insert("entityApiName".into(), "Task".into());
    }
    for (name, text) in task_fields(log, id) {
        let field = match name {
            "CallDurationInSeconds" => Value::from(log.seconds),
            _ => Value::from(text),
        };
        value.insert(name.into(), field);
    }
    Value::Object(value)
}

/// The Classic `saveLog` parameters: `Name=value&…`, every value escaped as
/// `encodeURIComponent` does, so that `&`, `=` or `+` in notes cannot split or change a field.
pub fn classic_params(log: &CallLog, id: Option<&str>) -> String {
    task_fields(log, id).iter().map(|(name, value)| format!("{name}={}", escape(value))).collect::<Vec<_>>().join("&")
}

/// `WhoId` for a person (Contact, Lead), `WhatId` for anything else (Account, Case…), decided
/// by the object's name or, when the host did not give it, by the Id's key prefix.
pub fn who_or_what(record: &RecordRef) -> &'static str {
    let person = if record.object.is_empty() {
        WHO_PREFIXES.iter().any(|prefix| record.id.starts_with(prefix))
    } else {
        WHO_OBJECTS.iter().any(|object| record.object.eq_ignore_ascii_case(object))
    };
    if person { "WhoId" } else { "WhatId" }
}

/// The records in a search answer, in the order Salesforce gave them. Each entry is keyed by
/// the record's Id; Lightning names the object `RecordType`, Classic `object`. Entries that are
/// no record (`SCREEN_POP_DATA`, `screenPopUrl`) or whose key is no Salesforce Id are skipped.
/// A field the softphone layout displays that carries `number` is the number as the record
/// writes it.
pub fn search_results(entries: Vec<(String, Value)>, number: &str) -> Vec<RecordRef> {
    entries
        .into_iter()
        .filter(|(key, value)| !NOT_RECORDS.contains(&key.as_str()) && value.is_object())
        .filter_map(|(key, value)| {
            let text = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or_default().trim().to_owned();
            let id = Some(text("Id")).filter(|id| !id.is_empty()).unwrap_or(key);
            let object = Some(text("RecordType")).filter(|o| !o.is_empty()).unwrap_or_else(|| text("object"));
            let phone = value.as_object().and_then(|fields| {
                fields.values().filter_map(Value::as_str).find(|v| same_number(v, number)).map(str::to_owned)
            });
            is_salesforce_id(&id).then(|| RecordRef { object, id, name: text("Name"), phone })
        })
        .collect()
}

/// The record Id a `saveLog` answered with: Lightning's `{recordId}` or a bare Id (Classic's
/// `id`).
pub fn saved_id(answer: &Value) -> Option<String> {
    let id = answer.get("recordId").unwrap_or(answer).as_str()?;
    is_salesforce_id(id).then(|| id.to_owned())
}

/// A 15- or 18-character Salesforce Id: letters and digits only.
pub fn is_salesforce_id(text: &str) -> bool {
    matches!(text.len(), 15 | 18) && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `text` cut to at most `max` characters (never inside a character).
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Percent-encodes every byte but the characters `encodeURIComponent` leaves alone.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::history::Outcome;

    fn log(record: Option<RecordRef>) -> CallLog {
        CallLog {
            call_id: "a84b4c76e66710@pc33.example.com".into(),
            agent: "1041".into(),
            direction: CallDirection::Outbound,
            number: "+14155550131".into(),
            party: "Lena Park".into(),
            started: 1_764_950_400_000 + 3_600_000,
            seconds: 95,
            outcome: Outcome::Answered,
            disposition: Some("Call back".into()),
            notes: "Wants a quote & a call = soon + more".into(),
            record,
        }
    }

    fn record(object: &str, id: &str) -> RecordRef {
        RecordRef { object: object.into(), id: id.into(), name: "Lena Park".into(), phone: None }
    }

    #[test]
    fn a_new_task_carries_every_call_field() {
        let value = lightning_value(&log(Some(record("Contact", "003Dn00000LenaPark"))), None);
        assert_eq!(
            value,
            json!({
                "entityApiName": "Task", "TaskSubtype": "Call",
                "Subject": "Outbound call to Lena Park (+14155550131)", "CallType": "Outbound",
                "CallDurationInSeconds": 95, "CallObject": "a84b4c76e66710@pc33.example.com",
                "CallDisposition": "Call back", "Description": "Wants a quote & a call = soon + more",
                "Status": "Completed", "ActivityDate": "2025-12-05", "WhoId": "003Dn00000LenaPark",
            })
        );
    }

    #[test]
    fn an_update_names_the_task_and_no_entity() {
        let mut inbound = log(None);
        inbound.direction = CallDirection::Inbound;
        inbound.disposition = None;
        let value = lightning_value(&inbound, Some("00TDn0000000000001"));
        assert_eq!(value["Id"], "00TDn0000000000001");
        assert!(value.get("entityApiName").is_none() && value.get("TaskSubtype").is_none());
        assert_eq!(value["CallType"], "Inbound");
        assert_eq!(value["CallDisposition"], "");
        assert!(value.get("WhoId").is_none() && value.get("WhatId").is_none());
    }

    #[test]
    fn people_go_in_who_id_everything_else_in_what_id() {
        assert_eq!(who_or_what(&record("Contact", "003Dn00000LenaPark")), "WhoId");
        assert_eq!(who_or_what(&record("lead", "00QDn00000RaviShah")), "WhoId");
        assert_eq!(who_or_what(&record("Account", "001Dn00000GlobexAc")), "WhatId");
        assert_eq!(who_or_what(&record("Case", "500Dn00000Case0001")), "WhatId");
        // No object name: the Id's key prefix decides.
        assert_eq!(who_or_what(&record("", "003Dn00000LenaPark")), "WhoId");
        assert_eq!(who_or_what(&record("", "00QDn00000RaviShah")), "WhoId");
        assert_eq!(who_or_what(&record("", "001Dn00000GlobexAc")), "WhatId");
        let account = lightning_value(&log(Some(record("Account", "001Dn00000GlobexAc"))), None);
        assert_eq!((account.get("WhoId"), account["WhatId"].as_str()), (None, Some("001Dn00000GlobexAc")));
    }

    #[test]
    fn classic_parameters_escape_what_would_split_a_field() {
        let params = classic_params(&log(Some(record("Lead", "00QDn00000RaviShah"))), Some("00TDn0000000000001"));
        assert_eq!(
            params,
            "Id=00TDn0000000000001&Subject=Outbound%20call%20to%20Lena%20Park%20(%2B14155550131)&CallType=Outbound\
             &CallDurationInSeconds=95&CallObject=a84b4c76e66710%40pc33.example.com&CallDisposition=Call%20back\
             &Description=Wants%20a%20quote%20%26%20a%20call%20%3D%20soon%20%2B%20more&Status=Completed\
             &ActivityDate=2025-12-05&WhoId=00QDn00000RaviShah"
        );
        let mut accented = log(None);
        accented.notes = "Díaz\nok".into();
        assert!(classic_params(&accented, None).contains("&Description=D%C3%ADaz%0Aok&"));
    }

    #[test]
    fn long_texts_are_cut_to_what_salesforce_keeps() {
        let mut long = log(None);
        long.disposition = Some("é".repeat(300));
        long.notes = "n".repeat(40_000);
        let value = lightning_value(&long, None);
        assert_eq!(value["CallDisposition"].as_str().unwrap().chars().count(), 255);
        assert_eq!(value["Description"].as_str().unwrap().len(), 32_000);
    }

    #[test]
    fn search_answers_of_both_flavours() {
        let lightning = vec![
            (
                "003Dn00000LenaPark".to_owned(),
                json!({"Id": "003Dn00000LenaPark", "Name": "Lena Park", "RecordType": "Contact", "Phone": "(415) 555-0131"}),
            ),
            ("001Dn00000GlobexAc".to_owned(), json!({"Name": "Globex", "object": "Account", "displayName": "Company"})),
            ("SCREEN_POP_DATA".to_owned(), json!({"type": "sobject", "params": {"recordId": "003Dn00000LenaPark"}})),
        ];
        assert_eq!(
            search_results(lightning, "4155550131"),
            vec![
                RecordRef { phone: Some("(415) 555-0131".into()), ..record("Contact", "003Dn00000LenaPark") },
                RecordRef {
                    object: "Account".into(),
                    id: "001Dn00000GlobexAc".into(),
                    name: "Globex".into(),
                    phone: None
                }
            ]
        );
        let classic = vec![
            ("screenPopUrl".to_owned(), json!("/00QDn00000RaviShah")),
            ("00QDn00000RaviShah".to_owned(), json!({"Name": "Ravi Shah", "object": "Lead"})),
        ];
        assert_eq!(
            search_results(classic, "4155550131"),
            vec![RecordRef {
                object: "Lead".into(),
                id: "00QDn00000RaviShah".into(),
                name: "Ravi Shah".into(),
                phone: None
            }]
        );
        let junk = vec![
            ("not an id".to_owned(), json!({"Name": "X"})),
            ("003Dn00000LenaPark".to_owned(), json!("a string")),
            ("003Dn00000LenaPark\"".to_owned(), json!({})),
        ];
        assert_eq!(search_results(junk, ""), vec![]);
        assert_eq!(search_results(vec![], ""), vec![]);
    }

    #[test]
    fn the_saved_task_id_in_either_shape() {
        assert_eq!(saved_id(&json!({"recordId": "00TDn0000000000001"})).as_deref(), Some("00TDn0000000000001"));
        assert_eq!(saved_id(&json!("00TDn0000000007")).as_deref(), Some("00TDn0000000007"));
        assert_eq!(saved_id(&json!(true)), None);
        assert_eq!(saved_id(&json!({"recordId": "<x>"})), None);
        assert_eq!(saved_id(&Value::Null), None);
    }
}
