//! The Salesforce emulator: Lightning and Classic pages around the softphone, and the Open CTI
//! scripts that run inside the widget's frame.
//!
//! The org's data lives here, not in the page: the records, the Tasks `saveLog` creates and
//! every screen pop. The pages read and write it under `/emulator/…` on their own origin, so a
//! reload (Classic reloads on every navigation) keeps it, and tests read it through
//! [`SalesforceOrg`].

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use super::salesforce_oauth::{self, OAuth};
use super::salesforce_rest;
use super::{COMMON_CSS, COMMON_LOG_JS, Pages, script, style};

const LIGHTNING_HTML: &str = include_str!("../../assets/salesforce/lightning.html");
const CLASSIC_HTML: &str = include_str!("../../assets/salesforce/classic.html");
const HOST_JS: &str = include_str!("../../assets/salesforce/host.js");
const OPENCTI_JS: &str = include_str!("../../assets/salesforce/opencti.js");
const INTERACTION_JS: &str = include_str!("../../assets/salesforce/interaction.js");

/// Digits a search term needs before it matches phone numbers (SOSL wants a few characters).
const MIN_SEARCH_DIGITS: usize = 4;
/// Digits of a national number: the end two numbers must share when one has a country code.
const NATIONAL_DIGITS: usize = 10;

/// The emulated org: its records, the Tasks logged against them and the screen pops asked
/// for. Cloning gives another handle on the same org.
#[derive(Clone)]
pub struct SalesforceOrg {
    state: Arc<Mutex<OrgState>>,
}

pub(crate) struct OrgState {
    records: Vec<Value>,
    tasks: Vec<Value>,
    /// Tasks created so far: an Id is never given twice, even after a delete, as in an org.
    tasks_created: u64,
    screen_pops: Vec<Value>,
    /// The org's My Domain (its origin here): the JWT bearer flow's audience.
    origin: String,
    /// The connected app's OAuth and the REST API's allowance.
    pub(crate) oauth: OAuth,
    /// Until when the REST API's Task calls answer 503.
    unavailable_until: Option<Instant>,
}

impl OrgState {
    /// Whether the REST API is switched off now.
    pub(crate) fn rest_unavailable(&self) -> bool {
        self.unavailable_until.is_some_and(|until| Instant::now() < until)
    }
}

impl Default for SalesforceOrg {
    fn default() -> Self {
        let state = OrgState {
            records: seed_records(),
            tasks: Vec::new(),
            tasks_created: 0,
            screen_pops: Vec::new(),
            origin: String::new(),
            oauth: OAuth::default(),
            unavailable_until: None,
        };
        SalesforceOrg { state: Arc::new(Mutex::new(state)) }
    }
}

/// The records every emulator page shows. Lena Park's mobile number is also Park Holdings'
/// phone: a caller on it matches two records (the picker).
fn seed_records() -> Vec<Value> {
    vec![
        json!({"Id": "003Dn00000LenaPark", "objectType": "Contact", "Name": "Lena Park", "idField": "contactId",
               "fields": [["Title", "VP Operations"], ["Account", "Globex"], ["Phone", "(415) 555-0131", "phone"],
                          ["Mobile", "+1 415 555 0177", "phone"], ["Email", "lena.park@globex.example"]]}),
        json!({"Id": "001Dn00000GlobexAc", "objectType": "Account", "Name": "Globex", "idField": "accountId",
               "fields": [["Type", "Customer - Direct"], ["Phone", "415-555-0142", "phone"], ["Industry", "Manufacturing"]]}),
        json!({"Id": "00QDn00000RaviShah", "objectType": "Lead", "Name": "Ravi Shah",
               "fields": [["Company", "Initech"], ["Phone", "+1 (628) 555-0199", "phone"], ["Lead Status", "Working - Contacted"]]}),
        json!({"Id": "001Dn00000ParkHold", "objectType": "Account", "Name": "Park Holdings", "idField": "accountId",
               "fields": [["Type", "Prospect"], ["Phone", "+1 415 555 0177", "phone"], ["Industry", "Finance"]]}),
    ]
}

impl SalesforceOrg {
    pub(crate) fn lock(&self) -> MutexGuard<'_, OrgState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The org's My Domain URL (its origin).
    pub fn origin(&self) -> String {
        self.lock().origin.clone()
    }

    /// Registers the integration service's callback URL on the connected app.
    pub fn set_connected_app_redirect_uri(&self, uri: &str) {
        self.lock().oauth.set_redirect_uri(uri);
    }

    /// Uploads the connected app's certificate (PEM) for the JWT bearer flow; false when the
    /// text is not a certificate.
    pub fn upload_certificate(&self, pem: &str) -> bool {
        self.lock().oauth.upload_certificate(pem)
    }

    /// Turns refresh token rotation on (the default here) or off.
    pub fn set_refresh_token_rotation(&self, on: bool) {
        self.lock().oauth.rotation = on;
    }

    /// Revokes every refresh token (as an admin does in Connected Apps OAuth Usage).
    pub fn revoke_refresh_tokens(&self) {
        self.lock().oauth.revoke_refresh_tokens();
    }

    /// Makes the REST API's Task calls answer `503 Service Unavailable` for `duration` from now.
    pub fn rest_unavailable_for(&self, duration: Duration) {
        self.lock().unavailable_until = Some(Instant::now() + duration);
    }

    /// REST API calls made with the org's access tokens today.
    pub fn api_requests(&self) -> u64 {
        self.lock().oauth.api_requests
    }

    /// Deletes the Task with `id`, as a user deleting it in the org does; false when there is none.
    pub fn delete_task(&self, id: &str) -> bool {
        let mut state = self.lock();
        let before = state.tasks.len();
        state.tasks.retain(|task| task["Id"] != id);
        state.tasks.len() < before
    }

    /// Every Task `saveLog` or the REST API created, oldest first, as stored (`Id`, the fields
    /// sent, `CreatedDate`, `LastModifiedDate`).
    pub fn tasks(&self) -> Vec<Value> {
        self.lock().tasks.clone()
    }

    /// Every screen pop the pages performed, oldest first: `{mode, type, …}` with `recordId`
    /// (a record opened), `url` (Classic), or `entityName` and `defaultFieldValues` (a new
    /// record form).
    pub fn screen_pops(&self) -> Vec<Value> {
        self.lock().screen_pops.clone()
    }

    /// The org's records as the pages show them.
    pub fn records(&self) -> Vec<Value> {
        self.lock().records.clone()
    }

    /// Adds a record the pages show and searches find, shaped as the seeded ones (`Id`,
    /// `objectType`, `Name`, `fields` of `[label, value]` or `[label, value, "phone"]`).
    pub fn add_record(&self, record: Value) {
        self.lock().records.push(record);
    }

    /// Creates (`entityApiName: "Task"`) or updates (`Id`) a Task as `saveLog` does: the new or
    /// updated Id, or the error Salesforce would give.
    pub fn save_task(&self, value: &Value) -> Result<String, String> {
        let Some(fields) = value.as_object() else {
            return Err("saveLog needs an object of fields".into());
        };
        let now = now_iso();
        let mut state = self.lock();
        if let Some(id) = fields.get("Id") {
            let id = id.as_str().unwrap_or_default();
            let task = state.tasks.iter_mut().find(|t| t["Id"] == id).ok_or(format!("Record {id} was not found"))?;
            for (name, field) in fields {
                if name != "TaskSubtype" {
                    task[name.as_str()] = field.clone();
                }
            }
            task["LastModifiedDate"] = now.into();
            return Ok(id.to_owned());
        }
        match fields.get("entityApiName").and_then(Value::as_str) {
            None => return Err("saveLog needs entityApiName to create a record, or Id to update one".into()),
            Some("Task") => {}
            Some(_) => return Err("This org lets the softphone create Task records only".into()),
        }
        state.tasks_created += 1;
        let id = format!("00TDn00000{:08}", state.tasks_created);
        let mut task: Map<String, Value> =
            fields.iter().filter(|(k, _)| *k != "entityApiName").map(|(k, v)| (k.clone(), v.clone())).collect();
        task.insert("Id".into(), id.clone().into());
        task.insert("CreatedDate".into(), now.clone().into());
        task.insert("LastModifiedDate".into(), now.into());
        state.tasks.push(Value::Object(task));
        Ok(id)
    }

    /// A search of the softphone layout's objects, answered as `mode` ("lightning" or
    /// "classic") answers it: the matching records by Id, plus Lightning's `SCREEN_POP_DATA`
    /// (when `deferred`) or Classic's `screenPopUrl`. Phone fields match on their digits; Tasks
    /// match on their `CallObject` (the layout lists Task with that field, so a softphone can
    /// find the Task of a Call-ID). `matches` lists the Ids found.
    pub fn search(&self, term: &str, mode: &str, deferred: bool) -> Value {
        let state = self.lock();
        let mut result = Map::new();
        let mut matches = Vec::new();
        for record in state.records.iter().filter(|r| has_number(r, term)) {
            let (id, name, object) = (&record["Id"], &record["Name"], &record["objectType"]);
            let entry = if mode == "classic" {
                json!({"Name": name, "object": object, "displayName": object})
            } else {
                json!({"Id": id, "Name": name, "RecordType": object, "LastModifiedDate": "2026-01-05T09:00:00.000Z"})
            };
            result.insert(id.as_str().unwrap_or_default().to_owned(), entry);
            matches.push(id.clone());
        }
        for task in state.tasks.iter().filter(|t| !term.is_empty() && t["CallObject"] == term) {
            let (id, subject) = (&task["Id"], &task["Subject"]);
            let entry = if mode == "classic" {
                json!({"Name": subject, "object": "Task", "displayName": "Task"})
            } else {
                json!({"Id": id, "Name": subject, "RecordType": "Task", "LastModifiedDate": task["LastModifiedDate"]})
            };
            result.insert(id.as_str().unwrap_or_default().to_owned(), entry);
            matches.push(id.clone());
        }
        let only = (matches.len() == 1).then(|| matches[0].clone());
        if mode == "classic" {
            let url = match &only {
                Some(id) => format!("/{}", id.as_str().unwrap_or_default()),
                None if matches.is_empty() => format!("/003/e?con10={}", query_escape(term)),
                None => format!("/_ui/search/ui/UnifiedSearchResults?str={}", query_escape(term)),
            };
            result.insert("screenPopUrl".into(), url.into());
        } else if deferred {
            let pop = match &only {
                Some(id) => json!({"type": "sobject", "params": {"recordId": id}}),
                None if matches.is_empty() => {
                    json!({"type": "newRecord", "params": {"entityName": "Contact", "defaultFieldValues": {"Phone": term}}})
                }
                None => json!({"type": "search", "params": {"searchString": term}}),
            };
            result.insert("SCREEN_POP_DATA".into(), pop);
        }
        json!({"result": result, "matches": matches})
    }

    fn add_screen_pop(&self, pop: Value) {
        self.lock().screen_pops.push(pop);
    }
}

/// Whether one of `record`'s phone fields is the number `term` (its digits, or a national
/// number that ends the other).
fn has_number(record: &Value, term: &str) -> bool {
    let digits = |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>();
    let wanted = digits(term);
    if wanted.len() < MIN_SEARCH_DIGITS {
        return false;
    }
    let tail = |d: &str| d[d.len().saturating_sub(NATIONAL_DIGITS)..].to_owned();
    record["fields"].as_array().into_iter().flatten().any(|field| {
        let have = digits(field[1].as_str().unwrap_or_default());
        field[2] == "phone" && (have == wanted || tail(&have) == tail(&wanted))
    })
}

fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// Now as Salesforce writes dates: `2026-01-05T09:00:00.000Z`.
fn now_iso() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    let date = framephone::activity::utc_time::utc_date(millis);
    let seconds = millis / 1000 % 86_400;
    format!("{date}T{:02}:{:02}:{:02}.{:03}Z", seconds / 3600, seconds / 60 % 60, seconds % 60, millis % 1000)
}

fn json_response(value: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], value.to_string())
        .into_response()
}

fn body_json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

pub(crate) fn router(pages: Pages, origin: String, org: SalesforceOrg) -> Router {
    org.lock().origin = origin.clone();
    let api = Router::new()
        .route("/services/oauth2/authorize", get(salesforce_oauth::authorize).post(salesforce_oauth::decide))
        .route("/services/oauth2/token", axum::routing::post(salesforce_oauth::token))
        .route("/services/data/", get(salesforce_oauth::versions))
        .route("/services/data/{version}/limits", get(salesforce_oauth::limits))
        .route("/services/data/{version}/query", get(salesforce_rest::query))
        .route("/services/data/{version}/sobjects/Task", axum::routing::post(salesforce_rest::create_task))
        .route("/services/data/{version}/sobjects/Task/{id}", axum::routing::patch(salesforce_rest::update_task))
        .with_state(org.clone());
    let classic_pages = pages.clone();
    let classic_origin = origin.clone();
    let (records_org, tasks_org, save_org, search_org, pop_org) =
        (org.clone(), org.clone(), org.clone(), org.clone(), org);
    Router::new()
        .merge(api)
        .route("/lightning", get(move || async move { pages.html(LIGHTNING_HTML, &origin) }))
        .route("/classic", get(move || async move { classic_pages.html(CLASSIC_HTML, &classic_origin) }))
        .route("/host.js", get(|| async { script(HOST_JS) }))
        .route("/emulator.css", get(|| async { style(COMMON_CSS) }))
        .route("/log.js", get(|| async { script(COMMON_LOG_JS) }))
        .route("/support/api/60.0/lightning/opencti_min.js", get(|| async { script(OPENCTI_JS) }))
        .route("/support/api/60.0/interaction.js", get(|| async { script(INTERACTION_JS) }))
        .route("/emulator/records", get(move || async move { json_response(Value::from(records_org.records())) }))
        .route(
            "/emulator/tasks",
            get(move || async move { json_response(Value::from(tasks_org.tasks())) }).post(
                move |body: String| async move {
                    json_response(match save_org.save_task(&body_json(&body)["value"]) {
                        Ok(id) => json!({"ok": true, "value": {"recordId": id}}),
                        Err(error) => json!({"ok": false, "error": error}),
                    })
                },
            ),
        )
        .route(
            "/emulator/search",
            axum::routing::post(move |body: String| async move {
                let request = body_json(&body);
                let term = request["term"].as_str().unwrap_or_default();
                let mode = request["mode"].as_str().unwrap_or("lightning");
                json_response(search_org.search(term, mode, request["deferred"] == true))
            }),
        )
        .route(
            "/emulator/screen-pops",
            axum::routing::post(move |body: String| async move {
                pop_org.add_screen_pop(body_json(&body));
                json_response(json!({"ok": true}))
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_log_creates_and_updates_tasks() {
        let org = SalesforceOrg::default();
        let created = org.save_task(
            &json!({"entityApiName": "Task", "Subject": "Call", "CallObject": "a@b", "WhoId": "003Dn00000LenaPark"}),
        );
        let id = created.expect("a Task is created");
        assert_eq!(id, "00TDn0000000000001");
        assert_eq!(org.save_task(&json!({"Id": id, "Description": "notes", "TaskSubtype": "Email"})), Ok(id.clone()));
        let tasks = org.tasks();
        assert_eq!(tasks.len(), 1);
        assert_eq!((tasks[0]["Description"].as_str(), tasks[0]["Subject"].as_str()), (Some("notes"), Some("Call")));
        assert!(tasks[0].get("entityApiName").is_none() && tasks[0].get("TaskSubtype").is_none());
        assert_eq!(
            org.save_task(&json!({"Id": "00TDn0000000000099"})),
            Err("Record 00TDn0000000000099 was not found".into())
        );
        assert!(org.save_task(&json!({"Subject": "x"})).unwrap_err().contains("entityApiName"));
        assert!(org.save_task(&json!({"entityApiName": "Account"})).unwrap_err().contains("Task records only"));
        assert_eq!(org.tasks().len(), 1);
    }

    #[test]
    fn search_answers_as_each_flavour_does() {
        let org = SalesforceOrg::default();
        let one = org.search("+1 (628) 555-0199", "lightning", true);
        assert_eq!(one["matches"], json!(["00QDn00000RaviShah"]));
        assert_eq!(one["result"]["00QDn00000RaviShah"]["RecordType"], "Lead");
        assert_eq!(
            one["result"]["SCREEN_POP_DATA"],
            json!({"type": "sobject", "params": {"recordId": "00QDn00000RaviShah"}})
        );
        let two = org.search("4155550177", "classic", false);
        assert_eq!(two["matches"], json!(["003Dn00000LenaPark", "001Dn00000ParkHold"]));
        assert_eq!(
            two["result"]["001Dn00000ParkHold"],
            json!({"Name": "Park Holdings", "object": "Account", "displayName": "Account"})
        );
        assert_eq!(two["result"]["screenPopUrl"], "/_ui/search/ui/UnifiedSearchResults?str=4155550177");
        let none = org.search("+1 555 010 0000", "classic", false);
        assert_eq!(
            (none["matches"].clone(), none["result"]["screenPopUrl"].clone()),
            (json!([]), json!("/003/e?con10=%2B1%20555%20010%200000"))
        );
        assert_eq!(org.search("0177", "lightning", false)["matches"], json!([]), "a number's end alone is no number");
        assert!(org.search("0131", "lightning", true)["result"].get("SCREEN_POP_DATA").is_some());
    }

    #[test]
    fn a_task_is_found_by_its_call_id() {
        let org = SalesforceOrg::default();
        let id =
            org.save_task(&json!({"entityApiName": "Task", "Subject": "Inbound call", "CallObject": "x1@h"})).unwrap();
        let found = org.search("x1@h", "lightning", true);
        assert_eq!(found["result"][id.as_str()]["RecordType"], "Task");
        assert_eq!(org.search("x2@h", "classic", false)["matches"], json!([]));
    }

    /// One HTTP/1.0 request to the running server: the status line's code and the body.
    async fn http(origin: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let authority = origin.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(authority).await.expect("connect");
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        let status = response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_default();
        let body = response.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn the_pages_and_the_tests_share_one_org() {
        let running = crate::start(crate::Options::ephemeral("dist".into())).await.expect("the server starts");
        let origin = running.salesforce.clone();
        let (status, records) = http(&origin, "GET", "/emulator/records", "").await;
        assert_eq!((status, records.as_array().map(Vec::len)), (200, Some(4)));
        let save = r#"{"value": {"entityApiName": "Task", "Subject": "Outbound call to Globex", "CallObject": "c1@h", "WhatId": "001Dn00000GlobexAc"}}"#;
        let (_, saved) = http(&origin, "POST", "/emulator/tasks", save).await;
        assert_eq!(saved, json!({"ok": true, "value": {"recordId": "00TDn0000000000001"}}));
        let (_, refused) = http(&origin, "POST", "/emulator/tasks", r#"{"value": {"Id": "00TDn0000000000042"}}"#).await;
        assert_eq!(refused, json!({"ok": false, "error": "Record 00TDn0000000000042 was not found"}));
        let (_, tasks) = http(&origin, "GET", "/emulator/tasks", "").await;
        assert_eq!(tasks[0]["WhatId"], "001Dn00000GlobexAc");
        assert_eq!(running.salesforce_org().tasks(), tasks.as_array().cloned().unwrap_or_default());
        let (_, found) =
            http(&origin, "POST", "/emulator/search", r#"{"term": "415-555-0142", "mode": "classic"}"#).await;
        assert_eq!(found["result"]["screenPopUrl"], "/001Dn00000GlobexAc");
        let pop = r#"{"mode": "lightning", "type": "sobject", "recordId": "001Dn00000GlobexAc"}"#;
        assert_eq!(http(&origin, "POST", "/emulator/screen-pops", pop).await.0, 200);
        assert_eq!(running.salesforce_org().screen_pops(), vec![serde_json::from_str::<Value>(pop).unwrap()]);
    }
}
