//! The org's REST API for Tasks, as the integration service uses it: `POST
//! /services/data/vXX.X/sobjects/Task` (201 `{id, success, errors}`), `PATCH
//! …/sobjects/Task/{id}` (204), and `GET …/query?q=` for the one SOQL shape a lookup needs:
//! `SELECT Id FROM Task WHERE <Field> = '<literal>' [AND …] [ORDER BY CreatedDate] [LIMIT n]`.
//! Anything else is refused with the org's error codes (`MALFORMED_QUERY`, `INVALID_FIELD`,
//! `NOT_FOUND`, `INVALID_SESSION_ID`); a switch makes the API answer 503 for a while.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::salesforce::SalesforceOrg;
use super::salesforce_oauth::{json_answer, not_found, offered, unauthorised};

/// The Task fields the org lets the integration user write.
const TASK_FIELDS: [&str; 11] = [
    "TaskSubtype",
    "Subject",
    "CallType",
    "CallDurationInSeconds",
    "CallObject",
    "CallDisposition",
    "Description",
    "Status",
    "ActivityDate",
    "WhoId",
    "WhatId",
];
/// Fields a query may filter on.
const FILTERABLE: [&str; 5] = ["Id", "CallObject", "CallType", "Subject", "Status"];

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_answer(status, json!([{"errorCode": code, "message": message}]))
}

/// What every call checks first: the version, the outage switch, the bearer token.
fn refusal(org: &SalesforceOrg, version: &str, headers: &HeaderMap) -> Option<Response> {
    if !offered(version) {
        return Some(not_found());
    }
    let mut state = org.lock();
    if state.rest_unavailable() {
        return Some(error(StatusCode::SERVICE_UNAVAILABLE, "SERVER_UNAVAILABLE", "Server temporarily unavailable"));
    }
    (!state.oauth.authorises(headers)).then(unauthorised)
}

/// The body's fields, each one a Task field the integration user may write, or the org's
/// error code and message (a 400).
fn task_fields(body: &str, creating: bool) -> Result<Map<String, Value>, (&'static str, String)> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
        return Err(("JSON_PARSER_ERROR", "The request body is not a JSON object".into()));
    };
    for name in fields.keys() {
        if !TASK_FIELDS.contains(&name.as_str()) {
            return Err(("INVALID_FIELD", format!("No such column '{name}' on sobject of type Task")));
        }
        if name == "TaskSubtype" && !creating {
            return Err(("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: TaskSubtype".into()));
        }
    }
    Ok(fields)
}

/// `POST /services/data/vXX.X/sobjects/Task`.
pub(crate) async fn create_task(
    State(org): State<SalesforceOrg>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = refusal(&org, &version, &headers) {
        return refused;
    }
    let mut fields = match task_fields(&body, true) {
        Ok(fields) => fields,
        Err((code, message)) => return error(StatusCode::BAD_REQUEST, code, &message),
    };
    fields.insert("entityApiName".into(), "Task".into());
    match org.save_task(&Value::Object(fields)) {
        Ok(id) => json_answer(StatusCode::CREATED, json!({"id": id, "success": true, "errors": []})),
        Err(message) => error(StatusCode::BAD_REQUEST, "FIELD_INTEGRITY_EXCEPTION", &message),
    }
}

/// `PATCH /services/data/vXX.X/sobjects/Task/{id}`.
pub(crate) async fn update_task(
    State(org): State<SalesforceOrg>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(refused) = refusal(&org, &version, &headers) {
        return refused;
    }
    let mut fields = match task_fields(&body, false) {
        Ok(fields) => fields,
        Err((code, message)) => return error(StatusCode::BAD_REQUEST, code, &message),
    };
    if !org.tasks().iter().any(|task| task["Id"] == id.as_str()) {
        return not_found();
    }
    fields.insert("Id".into(), id.into());
    match org.save_task(&Value::Object(fields)) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => error(StatusCode::BAD_REQUEST, "FIELD_INTEGRITY_EXCEPTION", &message),
    }
}

/// `GET /services/data/vXX.X/query?q=`'s parameters.
#[derive(serde::Deserialize)]
pub(crate) struct Soql {
    q: String,
}

/// `GET /services/data/vXX.X/query?q=SELECT Id FROM Task WHERE …`.
pub(crate) async fn query(
    State(org): State<SalesforceOrg>,
    Path(version): Path<String>,
    Query(soql): Query<Soql>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = refusal(&org, &version, &headers) {
        return refused;
    }
    let parsed = match parse(&soql.q) {
        Ok(parsed) => parsed,
        Err((code, message)) => return error(StatusCode::BAD_REQUEST, code, &message),
    };
    let records: Vec<Value> = org
        .tasks()
        .into_iter()
        // SOQL's `=` on text ignores case, as the org's does.
        .filter(|task| {
            parsed.conditions.iter().all(|(field, wanted)| {
                task[field.as_str()].as_str().is_some_and(|have| have.to_lowercase() == wanted.to_lowercase())
            })
        })
        .take(parsed.limit)
        .map(|task| {
            let id = task["Id"].as_str().unwrap_or_default().to_owned();
            json!({"attributes": {"type": "Task", "url": format!("/services/data/{version}/sobjects/Task/{id}")}, "Id": id})
        })
        .collect();
    json_answer(StatusCode::OK, json!({"totalSize": records.len(), "done": true, "records": records}))
}

/// A query of Task Ids by equal fields. Tasks are kept oldest first, so `ORDER BY CreatedDate`
/// is their order.
struct TaskQuery {
    conditions: Vec<(String, String)>,
    limit: usize,
}

type QueryError = (&'static str, String);

fn malformed(what: &str) -> QueryError {
    ("MALFORMED_QUERY", format!("unexpected token: {what}"))
}

fn parse(q: &str) -> Result<TaskQuery, QueryError> {
    let rest = q.strip_prefix("SELECT Id FROM ").ok_or_else(|| malformed(q))?;
    let rest = rest.strip_prefix("Task").ok_or_else(|| {
        ("INVALID_TYPE", format!("sObject type '{}' is not supported.", rest.split(' ').next().unwrap_or_default()))
    })?;
    let mut rest = rest.strip_prefix(" WHERE ").ok_or_else(|| malformed(rest))?;
    let mut conditions = Vec::new();
    loop {
        let (field, after) = rest.split_once(" = ").ok_or_else(|| malformed(rest))?;
        if !FILTERABLE.contains(&field) {
            return Err(("INVALID_FIELD", format!("No such column '{field}' on entity 'Task'")));
        }
        let (literal, after) = literal(after)?;
        conditions.push((field.to_owned(), literal));
        match after.strip_prefix(" AND ") {
            Some(next) => rest = next,
            None => {
                rest = after;
                break;
            }
        }
    }
    let rest = rest.strip_prefix(" ORDER BY CreatedDate").unwrap_or(rest);
    let limit = match rest.strip_prefix(" LIMIT ") {
        Some(n) => n.parse::<usize>().map_err(|_| malformed(n))?,
        None if rest.is_empty() => usize::MAX,
        None => return Err(malformed(rest)),
    };
    Ok(TaskQuery { conditions, limit })
}

/// A quoted SOQL string at the start of `text`, unescaped, and what follows it.
fn literal(text: &str) -> Result<(String, &str), QueryError> {
    let mut chars = text.char_indices();
    if chars.next().map(|(_, c)| c) != Some('\'') {
        return Err(malformed(text));
    }
    let mut value = String::new();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => return Ok((value, &text[at + 1..])),
            '\\' => value.push(match chars.next().map(|(_, c)| c) {
                Some('n') => '\n',
                Some('r') => '\r',
                Some('t') => '\t',
                Some('b') => '\u{8}',
                Some('f') => '\u{c}',
                Some(c @ ('\\' | '\'' | '"')) => c,
                _ => return Err(("MALFORMED_QUERY", "Invalid string literal: bad escape sequence".into())),
            }),
            c => value.push(c),
        }
    }
    Err(("MALFORMED_QUERY", "line 1: unterminated string literal".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookup_shape_parses_and_escapes_stay_inside_the_literal() {
        let parsed = parse(
            r"SELECT Id FROM Task WHERE CallObject = 'a\' AND Id = \'b' AND Subject = 'x' ORDER BY CreatedDate LIMIT 1",
        )
        .expect("parses");
        assert_eq!(
            parsed.conditions,
            vec![("CallObject".to_owned(), "a' AND Id = 'b".to_owned()), ("Subject".to_owned(), "x".to_owned())]
        );
        assert_eq!(parsed.limit, 1);
    }

    #[test]
    fn other_queries_are_refused_as_the_org_refuses_them() {
        let code = |q: &str| parse(q).err().map(|(code, _)| code);
        assert_eq!(code("SELECT Id FROM Account WHERE Name = 'x'"), Some("INVALID_TYPE"));
        assert_eq!(code("SELECT Id FROM Task WHERE Description = 'x'"), Some("INVALID_FIELD"));
        assert_eq!(code("SELECT Id FROM Task WHERE CallObject = 'x"), Some("MALFORMED_QUERY"));
        assert_eq!(code("SELECT Id FROM Task WHERE CallObject = 'x' OR Id = 'y'"), Some("MALFORMED_QUERY"));
        assert_eq!(code("SELECT Name FROM Task"), Some("MALFORMED_QUERY"));
    }
}
