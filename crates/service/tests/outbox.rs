//! The server-side outbox against the ServiceNow and Salesforce emulators, on SQLite and
//! PostgreSQL: a log handed over while the CRM is down and the service restarted is posted
//! exactly once; a changed log updates its row; two service instances draining one queue post
//! each log once; Salesforce logs become Tasks, found again rather than duplicated.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::{
    ADMIN_PASSWORD, Api, Backend, agent_phone, call_log, fresh_database, key_entry, salesforce_account,
    service_with_admin, servicenow_account, start_emulators, start_service, start_service_retrying,
};
use reqwest::StatusCode;

on_both_databases!(
    a_log_survives_an_outage_and_a_restart_and_lands_once,
    two_instances_post_each_log_once,
    logs_waiting_for_an_account_go_once_it_is_added,
    salesforce_logs_become_tasks_once
);

/// Waits until the agent's ServiceNow log of `call_id` is delivered.
async fn delivered(phone: &mut Api, call_id: &str, within: Duration) -> serde_json::Value {
    delivered_to(phone, "servicenow", call_id, within).await
}

/// Waits until the agent's log of `call_id` for `kind` is delivered.
async fn delivered_to(phone: &mut Api, kind: &str, call_id: &str, within: Duration) -> serde_json::Value {
    let deadline = Instant::now() + within;
    loop {
        let (_, status) = phone.get(&format!("/api/call-logs/{call_id}?kind={kind}")).await;
        if status["state"] == "delivered" || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn rows_of(instance: &devserver::ServiceNowInstance, call_id: &str) -> Vec<serde_json::Value> {
    instance.phone_logs().into_iter().filter(|row| row["call_id"] == call_id).collect()
}

async fn a_log_survives_an_outage_and_a_restart_and_lands_once(backend: Backend) {
    let (running, mut admin, database, key) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let instance = emulators.servicenow_instance();
    servicenow_account(&mut admin, &emulators.servicenow).await;
    let mut phone = agent_phone(&mut admin, &running.url, "1001").await;

    let (status, body) = phone.post("/api/call-logs", call_log("call-1@pc33", "1002", "")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only one's own calls: {body}");

    // The CRM is down: the log waits, and survives a restart of the service.
    instance.rest_unavailable_for(Duration::from_secs(3));
    let (status, body) = phone.post("/api/call-logs", call_log("call-1@pc33", "1001", "Asked about the invoice")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["state"], "queued");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, waiting) = phone.get("/api/call-logs/call-1@pc33?kind=servicenow").await;
    assert_eq!(waiting["state"], "queued", "{waiting}");
    assert!(waiting["attempts"].as_i64().unwrap_or(0) >= 1, "{waiting}");
    assert!(waiting["lastError"].as_str().unwrap_or("").contains("503"), "the reason is kept: {waiting}");
    let (status, body) = admin.get("/api/call-logs?state=queued").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["logs"].as_array().map(Vec::len), Some(1), "{body}");
    drop(running);
    let restarted = start_service(&database, &key).await;
    assert!(restarted.setup_token.is_none());
    let mut phone = Api::new(&restarted.url).with_bearer_of(&phone);
    let status = delivered(&mut phone, "call-1@pc33", Duration::from_secs(20)).await;
    assert_eq!(status["state"], "delivered", "{status}");
    let rows = rows_of(&instance, "call-1@pc33");
    assert_eq!(rows.len(), 1, "exactly once: {rows:?}");
    assert_eq!(rows[0]["notes"], "Asked about the invoice");
    assert_eq!(rows[0]["agent"], "1001");

    // The same log again changes nothing; a changed one updates the row.
    let posts_before = instance.requests().len();
    let (_, same) = phone.post("/api/call-logs", call_log("call-1@pc33", "1001", "Asked about the invoice")).await;
    assert_eq!(same["state"], "delivered");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(instance.requests().len(), posts_before, "nothing to post");
    let (_, changed) =
        phone.post("/api/call-logs", call_log("call-1@pc33", "1001", "Asked about the invoice; refund agreed")).await;
    assert_eq!(changed["state"], "queued");
    delivered(&mut phone, "call-1@pc33", Duration::from_secs(10)).await;
    let rows = rows_of(&instance, "call-1@pc33");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["notes"], "Asked about the invoice; refund agreed");
}

async fn two_instances_post_each_log_once(backend: Backend) {
    let (first, mut admin, database, key) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let instance = emulators.servicenow_instance();
    servicenow_account(&mut admin, &emulators.servicenow).await;
    let mut phone_one = agent_phone(&mut admin, &first.url, "1001").await;
    let second = start_service(&database, &key).await;
    let mut phone_two = Api::new(&second.url).with_bearer_of(&phone_one);
    const LOGS: usize = 40;
    for i in 0..LOGS {
        let phone = if i % 2 == 0 { &mut phone_one } else { &mut phone_two };
        let (status, body) = phone.post("/api/call-logs", call_log(&format!("bulk-{i}@pc33"), "1001", "bulk")).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = admin.get("/api/call-logs?state=delivered").await;
        if body["logs"].as_array().map_or(0, Vec::len) == LOGS || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows: Vec<_> = instance.phone_logs().into_iter().filter(|r| r["notes"] == "bulk").collect();
    assert_eq!(rows.len(), LOGS, "each log once");
    let creates = instance
        .requests()
        .iter()
        .filter(|(method, path)| method == "POST" && path == "/api/now/table/sn_openframe_phone_log")
        .count();
    assert_eq!(creates, LOGS, "no log was posted twice");
    drop(second);
}

async fn logs_waiting_for_an_account_go_once_it_is_added(backend: Backend) {
    // Retries an hour apart: only the account's arrival can make the log go within the test.
    let slow = service::outbox::RetryPolicy {
        first: Duration::from_secs(3600),
        max: Duration::from_secs(3600),
        lease: Duration::from_secs(60),
    };
    let database = fresh_database(backend).await;
    let running = start_service_retrying(&database, &key_entry(), slow).await;
    let mut admin = Api::new(&running.url);
    let token = running.setup_token.clone().expect("setup token");
    admin
        .post("/api/setup", serde_json::json!({"setupToken": token, "username": "root", "password": ADMIN_PASSWORD}))
        .await;
    admin.sign_in_admin("root", ADMIN_PASSWORD).await;
    let emulators = start_emulators().await;
    let instance = emulators.servicenow_instance();
    let mut phone = agent_phone(&mut admin, &running.url, "1001").await;
    phone.post("/api/call-logs", call_log("early@pc33", "1001", "before any account")).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let waiting = loop {
        let (_, status) = phone.get("/api/call-logs/early@pc33?kind=servicenow").await;
        if status["attempts"].as_i64().unwrap_or(0) >= 1 || Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        waiting["lastError"].as_str().unwrap_or("").contains("no default servicenow integration account"),
        "{waiting}"
    );
    servicenow_account(&mut admin, &emulators.servicenow).await;
    let status = delivered(&mut phone, "early@pc33", Duration::from_secs(10)).await;
    assert_eq!(status["state"], "delivered", "{status}");
    assert_eq!(rows_of(&instance, "early@pc33").len(), 1);
}

fn salesforce_log(call_id: &str, notes: &str) -> serde_json::Value {
    let mut log = call_log(call_id, "1001", notes);
    log["kind"] = "salesforce".into();
    log
}

fn tasks_of(org: &devserver::SalesforceOrg, call_id: &str) -> Vec<serde_json::Value> {
    org.tasks().into_iter().filter(|task| task["CallObject"] == call_id).collect()
}

async fn salesforce_logs_become_tasks_once(backend: Backend) {
    let (running, mut admin, _, _) = service_with_admin(backend).await;
    let emulators = start_emulators().await;
    let org = emulators.salesforce_org();
    salesforce_account(&mut admin, &running.url, &emulators).await;
    let mut phone = agent_phone(&mut admin, &running.url, "1001").await;

    // Another call's Task that a caller's reused Call-ID must not reach.
    let other = serde_json::json!({"entityApiName": "Task", "CallObject": "sf-1@pc33", "CallType": "Inbound",
        "Subject": "Inbound call from Ravi Shah (+16285550199)", "Description": "someone else's call"});
    org.save_task(&other).expect("seeded");

    // The org is down a while: the log waits, then becomes one Task with the softphone's fields.
    org.rest_unavailable_for(Duration::from_secs(2));
    let (status, body) = phone.post("/api/call-logs", salesforce_log("sf-1@pc33", "Asked about the invoice")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let status = delivered_to(&mut phone, "salesforce", "sf-1@pc33", Duration::from_secs(30)).await;
    assert_eq!(status["state"], "delivered", "{status}");
    assert!(status["attempts"].as_i64().unwrap_or(0) >= 1, "the outage was met: {status}");
    let tasks = tasks_of(&org, "sf-1@pc33");
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert_eq!(tasks[0]["Description"], "someone else's call", "the other call's Task is untouched");
    let task = &tasks[1];
    assert_eq!(task["Subject"], "Inbound call from Ana Díaz (+14155550131)");
    assert_eq!(
        (&task["TaskSubtype"], &task["CallType"], &task["Status"]),
        (&"Call".into(), &"Inbound".into(), &"Completed".into())
    );
    assert_eq!(task["CallDurationInSeconds"], 42);
    assert_eq!(task["Description"], "Asked about the invoice");

    // A changed log updates that Task.
    phone.post("/api/call-logs", salesforce_log("sf-1@pc33", "Refund agreed")).await;
    let status = delivered_to(&mut phone, "salesforce", "sf-1@pc33", Duration::from_secs(10)).await;
    assert_eq!(status["state"], "delivered", "{status}");
    let tasks = tasks_of(&org, "sf-1@pc33");
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert_eq!(tasks[1]["Description"], "Refund agreed");

    // The Task deleted in the org: the next change writes it anew instead of being refused.
    assert!(org.delete_task(tasks[1]["Id"].as_str().expect("id")));
    phone.post("/api/call-logs", salesforce_log("sf-1@pc33", "Refund agreed; sent by post")).await;
    let status = delivered_to(&mut phone, "salesforce", "sf-1@pc33", Duration::from_secs(10)).await;
    assert_eq!(status["state"], "delivered", "{status} {:?}", org.tasks());
    let tasks = tasks_of(&org, "sf-1@pc33");
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert_eq!(tasks[1]["Description"], "Refund agreed; sent by post");

    // A Task the call already has (a post whose answer was lost) is found and updated, not doubled.
    let earlier = serde_json::json!({"entityApiName": "Task", "TaskSubtype": "Call", "CallObject": "sf-2@pc33",
        "CallType": "Inbound", "Subject": "Inbound call from Ana Díaz (+14155550131)", "Description": ""});
    org.save_task(&earlier).expect("seeded");
    phone.post("/api/call-logs", salesforce_log("sf-2@pc33", "Second call")).await;
    delivered_to(&mut phone, "salesforce", "sf-2@pc33", Duration::from_secs(10)).await;
    let tasks = tasks_of(&org, "sf-2@pc33");
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["Description"], "Second call");

    // The integration user's token is the outbox's, never an agent's.
    let (status, body) = phone.post("/api/crm-token", serde_json::json!({"kind": "salesforce"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(!body.to_string().contains("00DDn000000Acme!"), "no token in the refusal: {body}");
}
