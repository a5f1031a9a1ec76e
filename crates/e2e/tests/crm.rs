//! The phone working the CRM around real calls: the caller's record opens as the call rings,
//! wrap-up takes a disposition and notes, and the call lands in the record's activity history.
//! ServiceNow through its REST API (after the agent authorises the phone in the instance's
//! consent popup), Salesforce Lightning and Classic through Open CTI. Call logs survive an
//! outage of the instance, a reload of the page and a crash of the browser in between.
//! Needs the Kamailio lab (`$LAB_WS_PORT`); agents 1041–1058, 1075–1076 and 1130, and the
//! caller 4155550131.

use std::time::Duration;

use devserver::{ServiceNowField, ServiceNowInstance, ServiceNowRecord};
use e2e::{
    Browser, PATIENCE, answer_talk_and_hang_up, by_role, devserver, enter_widget, eventually, page_shows, sign_in,
    signed_in_browser, wait_for_role,
};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// A contact on the instance whose business phone is the lab extension `number`.
fn contact(sys_id: &str, name: &str, number: &str) -> ServiceNowRecord {
    ServiceNowRecord {
        table: "customer_contact".into(),
        sys_id: sys_id.into(),
        label: "Contact".into(),
        title: name.into(),
        contact_name: name.into(),
        fields: vec![
            ServiceNowField::text("name", "Name", name),
            ServiceNowField::phone("phone", "Business phone", number),
        ],
    }
}

/// In the widget's frame: chooses Authorise, allows the phone in the instance's consent popup,
/// and waits until the Activity list no longer asks.
async fn authorise_servicenow(client: &Client) {
    let widget_window = client.window().await.expect("the agent's window");
    let authorise =
        wait_for_role(client, "button", "Authorise", PATIENCE).await.expect("the phone asks to be authorised");
    authorise.click().await.unwrap();
    let popup = eventually("the consent popup to open", || async {
        let windows = client.windows().await.ok()?;
        windows.into_iter().find(|w| *w != widget_window)
    })
    .await;
    client.switch_to_window(popup).await.unwrap();
    let allow = wait_for_role(client, "button", "Allow", PATIENCE).await.expect("the consent page's Allow");
    allow.click().await.unwrap();
    client.switch_to_window(widget_window).await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("the Authorise button to go", || async {
        by_role(client, "button", "Authorise").await.is_err().then_some(())
    })
    .await;
}

/// The phone-log rows the instance holds for calls with `party`'s number.
fn logs_of(instance: &ServiceNowInstance, number: &str) -> Vec<Value> {
    instance.phone_logs().into_iter().filter(|row| row["phone_number"] == number).collect()
}

#[tokio::test]
async fn servicenow_pops_the_callers_record_and_the_wrapped_up_call_lands_in_its_activity() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let sys_id = "c0a7ac70000000000000000000001042";
    instance.add_record(contact(sys_id, "Maya Lindqvist", "1042"));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1041").await;
    authorise_servicenow(client).await;

    let caller = signed_in_browser(&server.widget, "1042").await;
    by_role(&caller.client, "textbox", "Number").await.unwrap().send_keys("1041\u{e007}").await.unwrap();
    // The record opens while the call still rings.
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record h2", "Maya Lindqvist").await;
    enter_widget(client, "#openframe").await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1042", "Resolved", "Refund of order 1189 confirmed").await;

    let row = eventually("the phone log on the instance", || async {
        let rows = logs_of(&instance, "1042");
        (rows.len() == 1).then(|| rows[0].clone())
    })
    .await;
    assert_eq!(row["document_table"], "customer_contact");
    assert_eq!(row["document_id"], sys_id);
    assert_eq!(row["direction"], "inbound");
    assert_eq!(row["disposition"], "Resolved");
    assert_eq!(row["notes"], "Refund of order 1189 confirmed");
    assert!(row["call_id"].as_str().is_some_and(|id| !id.is_empty()), "{row}");
    // The work-notes rule put it into the record's activity stream, which the page shows.
    let stream = instance.activity(sys_id);
    assert!(stream.iter().any(|text| text.contains("Disposition: Resolved")), "{stream:?}");
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#activity-list", "Refund of order 1189 confirmed").await;
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn servicenow_logs_wait_out_a_minute_long_outage_a_reload_and_a_crash_and_arrive_once() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let sys_id = "c0a7ac70000000000000000000001044";
    instance.add_record(contact(sys_id, "Jonas Weber", "1044"));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1043").await;
    authorise_servicenow(client).await;
    let caller = signed_in_browser(&server.widget, "1044").await;
    by_role(&caller.client, "textbox", "Number").await.unwrap().send_keys("1043\u{e007}").await.unwrap();
    answer_talk_and_hang_up(client).await;

    // The instance answers 503 to everything for a minute: the logs of this call and the next
    // wait.
    let outage = Duration::from_secs(60);
    let outage_ends = std::time::Instant::now() + outage;
    instance.rest_unavailable_for(outage);
    e2e::wrap_up(client, "1044", "Call back", "Wants a call on Monday").await;
    by_role(&caller.client, "button", "Call").await.unwrap().click().await.unwrap();
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1044", "Resolved", "Called again: Monday is fine").await;
    let waiting = "2 call logs waiting for ServiceNow";
    eventually("the logs to wait for the instance", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains(waiting).then_some(())
    })
    .await;
    assert!(logs_of(&instance, "1044").is_empty(), "nothing was written during the outage");
    let tried =
        instance.requests().iter().any(|(method, path)| method == "POST" && path.contains("sn_openframe_phone_log"));
    assert!(tried, "the phone tried during the outage: {:?}", instance.requests());

    // The agent reloads the CRM page: the logs are still kept.
    client.enter_parent_frame().await.unwrap();
    client.refresh().await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("the kept logs after the reload", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains(waiting).then_some(())
    })
    .await;

    // Then the browser crashes (every process killed at once) and the agent starts it again:
    // the logs are still there. The agent authorises again (the token lived in the old page)
    // while the instance is still down: the logs are tried, refused, and back off.
    let agent = agent.crash_and_restart().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("the kept logs after the crash", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains(waiting).then_some(())
    })
    .await;
    authorise_servicenow(client).await;
    assert!(std::time::Instant::now() < outage_ends, "the outage outlasts the reload and the crash");
    assert!(logs_of(&instance, "1044").is_empty());

    // The instance comes back by itself after its minute; the logs' retries find it (within the
    // 64 s the backoff can reach by then) and each is written once.
    let deadline = outage_ends + Duration::from_secs(120);
    while logs_of(&instance, "1044").len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the logs were not delivered after the outage");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows = logs_of(&instance, "1044");
    let mut notes: Vec<_> = rows.iter().map(|row| row["notes"].as_str().unwrap_or_default()).collect();
    notes.sort();
    assert_eq!(notes, ["Called again: Monday is fine", "Wants a call on Monday"]);
    // The first call's record was found before the outage; the second call's search met the
    // 503, so its log names no record.
    let linked: Vec<_> = rows.iter().filter(|row| row["document_id"] == sys_id).map(|row| &row["notes"]).collect();
    assert_eq!(linked, [&json!("Wants a call on Monday")], "{rows:?}");
    eventually("the Activity list to empty", || async {
        by_role(client, "region", "Activity").await.is_err().then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(logs_of(&instance, "1044").len(), 2, "each delivered once");
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn salesforce_lightning_pops_the_callers_record_and_logs_the_call_as_a_task() {
    let server = devserver().await;
    let org = server.salesforce_org();
    org.add_record(json!({"Id": "003Dn00000MayaLind", "objectType": "Contact", "Name": "Maya Lindqvist",
        "idField": "contactId", "fields": [["Title", "Buyer"], ["Phone", "1046", "phone"]]}));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    enter_widget(client, "#softphone").await;
    sign_in(client, "1045").await;

    let caller = signed_in_browser(&server.widget, "1046").await;
    by_role(&caller.client, "textbox", "Number").await.unwrap().send_keys("1045\u{e007}").await.unwrap();
    eventually("the caller's record to pop", || async {
        org.screen_pops().iter().any(|pop| pop["recordId"] == "003Dn00000MayaLind").then_some(())
    })
    .await;
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record h2", "Maya Lindqvist").await;
    enter_widget(client, "#softphone").await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1046", "Escalated", "Passed to billing").await;

    let task = eventually("the Task in the org", || async {
        let tasks = org.tasks();
        tasks.into_iter().find(|task| task["WhoId"] == "003Dn00000MayaLind")
    })
    .await;
    assert_eq!(task["CallType"], "Inbound", "{task}");
    assert!(task["Description"].as_str().is_some_and(|d| d.contains("Passed to billing")), "{task}");
    assert!(task["CallDisposition"].as_str().is_some_and(|d| d.contains("Escalated")), "{task}");
    assert!(task["CallObject"].as_str().is_some_and(|id| !id.is_empty()), "{task}");
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record", "Passed to billing").await;
    caller.close().await;
    agent.close().await;
}

/// The phone's alerts (notices) as one text.
async fn alerts(client: &Client) -> String {
    let mut text = String::new();
    for alert in e2e::all_by_role(client, "alert").await.unwrap_or_default() {
        text.push_str(&alert.text().await.unwrap_or_default());
        text.push('\n');
    }
    text
}

/// Signs `agent` in inside the ServiceNow page and authorises the phone.
async fn servicenow_agent(server: &devserver::Running, agent: &str) -> Browser {
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, agent).await;
    authorise_servicenow(client).await;
    browser
}

/// `caller`, signed in in the pop-out, calls `callee`.
async fn calls(server: &devserver::Running, caller: &str, callee: &str) -> Browser {
    let browser = signed_in_browser(&server.widget, caller).await;
    by_role(&browser.client, "textbox", "Number").await.unwrap().send_keys(&format!("{callee}\u{e007}")).await.unwrap();
    browser
}

#[tokio::test]
async fn servicenow_asks_which_record_when_several_match_and_opens_a_new_form_when_none_does() {
    let server = devserver().await;
    server.amend_config(json!({"crm": {"newRecordWhenNoMatch": true}}));
    let instance = server.servicenow_instance();
    instance.add_record(contact("c0a7ac70000000000000000000001050", "Lea Novak", "1050"));
    instance.add_record(ServiceNowRecord {
        table: "customer_account".into(),
        sys_id: "acc0b0e0000000000000000000001050".into(),
        label: "Account Novak Freight".into(),
        title: "Novak Freight".into(),
        contact_name: "Lea Novak".into(),
        fields: vec![
            ServiceNowField::text("name", "Name", "Novak Freight"),
            ServiceNowField::phone("phone", "Phone", "1050"),
        ],
    });
    let agent = servicenow_agent(&server, "1049").await;
    let client = &agent.client;

    // Two records carry the caller's number: the phone asks, and opens the one picked.
    let caller = calls(&server, "1050", "1049").await;
    wait_for_role(client, "group", "Which record is the caller?", PATIENCE).await.expect("the picker");
    by_role(client, "button", "Open Lea Novak (customer_contact)").await.expect("the contact offered");
    by_role(client, "button", "Open Novak Freight (customer_account)").await.unwrap().click().await.unwrap();
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record h2", "Novak Freight").await;
    enter_widget(client, "#openframe").await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1050", "Resolved", "Freight booked").await;
    let row =
        eventually("the log against the picked record", || async { logs_of(&instance, "1050").into_iter().next() })
            .await;
    assert_eq!(row["document_id"], "acc0b0e0000000000000000000001050");
    caller.close().await;

    // Nobody carries this number: a new contact form opens with it filled in.
    let stranger = calls(&server, "1051", "1049").await;
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record h2", "New customer_contact record").await;
    page_shows(client, "#record", "1051").await;
    stranger.close().await;
    agent.close().await;
}

#[tokio::test]
async fn an_outbound_call_from_a_servicenow_record_is_logged_against_it() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let sys_id = "c0a7ac70000000000000000000001053";
    let mut record = contact(sys_id, "Omar Haddad", "1053");
    record.label = "Contact Omar Haddad".into();
    instance.add_record(record);
    let callee = signed_in_browser(&server.widget, "1053").await;
    let agent = servicenow_agent(&server, "1052").await;
    let client = &agent.client;
    client.enter_parent_frame().await.unwrap();
    client.find(Locator::Css("#payload-shape")).await.unwrap().select_by_value("metaData").await.unwrap();
    by_role(client, "button", "Contact Omar Haddad").await.unwrap().click().await.unwrap();
    by_role(client, "button", "Call 1053").await.unwrap().click().await.unwrap();
    enter_widget(client, "#openframe").await;
    e2e::dial_pad_shows(client, "1053").await;
    by_role(client, "button", "Call").await.unwrap().click().await.unwrap();
    answer_talk_and_hang_up(&callee.client).await;
    e2e::wrap_up(client, "1053", "Call back", "Left a message about the renewal").await;
    let row = eventually("the outbound log", || async { logs_of(&instance, "1053").into_iter().next() }).await;
    assert_eq!(row["direction"], "outbound");
    assert_eq!((row["document_table"].as_str(), row["document_id"].as_str()), (Some("customer_contact"), Some(sys_id)));
    assert_eq!(row["notes"], "Left a message about the renewal");
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#activity-list", "Left a message about the renewal").await;
    callee.close().await;
    agent.close().await;
}

#[tokio::test]
async fn a_missing_cors_rule_is_named_in_activity_and_an_expired_token_asks_to_authorise_again() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let agent = servicenow_agent(&server, "1047").await;
    let client = &agent.client;

    // The instance's CORS rules lose the widget's origin: the browser withholds every answer.
    instance.set_cors_domains(vec!["https://someone-else.example".into()]);
    let caller = calls(&server, "1048", "1047").await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1048", "Resolved", "First call").await;
    let reason = eventually("the failed log with its reason", || async {
        let text = by_role(client, "list", "Call logs that failed").await.ok()?.text().await.ok()?;
        text.contains("CORS").then_some(text)
    })
    .await;
    assert!(reason.contains(&server.widget), "the reason names the widget's origin: {reason}");
    assert!(logs_of(&instance, "1048").is_empty());

    // The rule is mended; Retry delivers the log once.
    instance.set_cors_domains(vec![server.widget.clone()]);
    by_role(client, "button", "Retry: Inbound call from 1048")
        .await
        .expect("Retry on the failed log")
        .click()
        .await
        .unwrap();
    eventually("the log after Retry", || async { (logs_of(&instance, "1048").len() == 1).then_some(()) }).await;

    // The token expires: the next log waits for Authorise, then goes.
    instance.expire_tokens();
    by_role(&caller.client, "button", "Call").await.unwrap().click().await.unwrap();
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1048", "Call back", "Second call").await;
    wait_for_role(client, "button", "Authorise", PATIENCE).await.expect("Authorise after the 401");
    assert_eq!(logs_of(&instance, "1048").len(), 1);
    authorise_servicenow(client).await;
    eventually("the second log after Authorise", || async { (logs_of(&instance, "1048").len() == 2).then_some(()) })
        .await;
    eventually("the Activity list to empty", || async {
        by_role(client, "region", "Activity").await.is_err().then_some(())
    })
    .await;
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn salesforce_classic_keeps_the_call_rather_than_pop_and_logs_it_against_the_match() {
    let server = devserver().await;
    let org = server.salesforce_org();
    org.add_record(json!({"Id": "003Dn00000OmarHadd", "objectType": "Contact", "Name": "Omar Haddad",
        "idField": "contactId", "fields": [["Phone", "1055", "phone"]]}));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/classic", server.salesforce)).await.unwrap();
    enter_widget(client, "#softphone").await;
    sign_in(client, "1054").await;
    let caller = calls(&server, "1055", "1054").await;
    eventually("the notice that Classic would cut the call", || async {
        alerts(client).await.contains("would cut the call off").then_some(())
    })
    .await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1055", "Resolved", "Classic call").await;
    let task = eventually("the Task in the org", || async {
        org.tasks().into_iter().find(|task| task["WhoId"] == "003Dn00000OmarHadd")
    })
    .await;
    assert_eq!(task["Description"], "Classic call");
    assert!(org.screen_pops().is_empty(), "nothing navigated the page: {:?}", org.screen_pops());
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn lightning_asks_which_record_and_logs_an_outbound_call_against_the_clicked_one() {
    let server = devserver().await;
    let org = server.salesforce_org();
    org.add_record(json!({"Id": "003Dn00000IvanPetr", "objectType": "Contact", "Name": "Ivan Petrov",
        "idField": "contactId", "fields": [["Phone", "1057", "phone"]]}));
    org.add_record(json!({"Id": "001Dn00000PetrovLo", "objectType": "Account", "Name": "Petrov Logistics",
        "idField": "accountId", "fields": [["Phone", "1057", "phone"]]}));
    org.add_record(json!({"Id": "003Dn00000NoraKimm", "objectType": "Contact", "Name": "Nora Kim",
        "idField": "contactId", "fields": [["Phone", "1058", "phone"]]}));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    enter_widget(client, "#softphone").await;
    sign_in(client, "1056").await;

    // Two records carry the caller's number: the phone asks; the Account picked opens.
    let caller = calls(&server, "1057", "1056").await;
    wait_for_role(client, "group", "Which record is the caller?", PATIENCE).await.expect("the picker");
    by_role(client, "button", "Open Ivan Petrov (Contact)").await.expect("the Contact offered");
    by_role(client, "button", "Open Petrov Logistics (Account)").await.unwrap().click().await.unwrap();
    eventually("the Account popped", || async {
        org.screen_pops().iter().any(|pop| pop["recordId"] == "001Dn00000PetrovLo").then_some(())
    })
    .await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1057", "Resolved", "Invoice address changed").await;
    let task = eventually("the Task against the Account", || async {
        org.tasks().into_iter().find(|task| task["WhatId"] == "001Dn00000PetrovLo")
    })
    .await;
    assert_eq!((task["CallType"].as_str(), task.get("WhoId")), (Some("Inbound"), None), "{task}");
    caller.close().await;

    // An outbound call from Nora Kim's number on her page is logged against her.
    let callee = signed_in_browser(&server.widget, "1058").await;
    client.enter_parent_frame().await.unwrap();
    client.find(Locator::Css("a[data-record-id='003Dn00000NoraKimm']")).await.unwrap().click().await.unwrap();
    by_role(client, "link", "1058").await.expect("Nora Kim's number").click().await.unwrap();
    enter_widget(client, "#softphone").await;
    e2e::dial_pad_shows(client, "1058").await;
    by_role(client, "button", "Call").await.unwrap().click().await.unwrap();
    answer_talk_and_hang_up(&callee.client).await;
    e2e::wrap_up(client, "1058", "Call back", "Sends the signed contract tomorrow").await;
    let task = eventually("the outbound Task", || async {
        org.tasks().into_iter().find(|task| task["WhoId"] == "003Dn00000NoraKimm")
    })
    .await;
    assert_eq!(task["CallType"], "Outbound", "{task}");
    assert_eq!(task["Description"], "Sends the signed contract tomorrow", "{task}");
    callee.close().await;
    agent.close().await;
}

#[tokio::test]
async fn two_servicenow_tabs_deliver_a_waiting_log_once() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let agent = servicenow_agent(&server, "1075").await;
    let client = &agent.client;
    let caller = calls(&server, "1076", "1075").await;
    // The instance is down when the call ends: its log waits, and is retried.
    let outage = Duration::from_secs(15);
    let outage_ends = std::time::Instant::now() + outage;
    instance.rest_unavailable_for(outage);
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1076", "Resolved", "Two tabs, one log").await;
    eventually("the log to wait for the instance", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains("1 call log waiting for ServiceNow").then_some(())
    })
    .await;

    // A second tab of the same instance: the same stored outbox, which only one tab delivers.
    let tab = client.new_window(true).await.expect("a new tab").handle;
    client.switch_to_window(tab).await.unwrap();
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("the second tab to mirror the phone", || async {
        let text = by_role(client, "group", "Phone window").await.ok()?.text().await.ok()?;
        text.contains("The phone is in another CRM tab.").then_some(())
    })
    .await;

    // Only the tab that delivers the stored logs lists them.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let listed = match by_role(client, "region", "Activity").await {
        Ok(region) => region.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    assert!(!listed.contains("waiting"), "the second tab took the log up too: {listed}");

    tokio::time::sleep(outage_ends.saturating_duration_since(std::time::Instant::now())).await;
    let before = instance.requests().len();
    eventually("the log in the instance", || async { (logs_of(&instance, "1076").len() == 1).then_some(()) }).await;
    // Long enough for a second tab's backoff, as long as the first's, to come round again.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let writes: Vec<_> = instance.requests()[before..]
        .iter()
        .filter(|(method, path)| {
            !["GET", "OPTIONS"].contains(&method.as_str())
                && (path.contains("phone_log") || path.contains("interaction"))
        })
        .cloned()
        .collect();
    assert_eq!(writes.len(), 1, "one tab wrote the log, once: {writes:?}");
    assert_eq!(logs_of(&instance, "1076").len(), 1);
    caller.close().await;
    agent.close().await;
}

/// Runs `script` in the widget's frame `frame`, which ends by calling `done(value)`.
async fn in_widget(client: &Client, frame: &str, script: &str) -> Value {
    enter_widget(client, frame).await;
    client.execute_async(&format!("const done = arguments[0];\n{script}"), vec![]).await.expect(script)
}

#[tokio::test]
async fn an_outbox_copy_that_does_not_read_is_kept_aside_whole_and_named_to_the_agent() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    let key = format!("outbox|{}", server.salesforce.trim_end_matches('/'));
    // What another version might have written: the record is there, in a shape this one
    // does not read.
    let unreadable = r#"{"entries":"from another version","kept":[1,2,3]}"#;
    let with_store = "const open = indexedDB.open('framephone', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('call-log-outbox');
        open.onerror = () => done('no database');
        const use = (work) => { open.onsuccess = () => work(open.result); };";
    let seed = format!(
        "{with_store}
        use(db => {{ const tx = db.transaction('call-log-outbox', 'readwrite');
          tx.objectStore('call-log-outbox').put({unreadable:?}, {key:?});
          tx.oncomplete = () => {{ db.close(); done('seeded'); }}; }});"
    );
    assert_eq!(in_widget(client, "#softphone", &seed).await, json!("seeded"));
    client.enter_parent_frame().await.unwrap();
    client.refresh().await.unwrap();
    enter_widget(client, "#softphone").await;
    let shown = eventually("the Activity list to name the unreadable copy", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains("do not read").then_some(text)
    })
    .await;
    assert!(shown.contains(&format!("{key}|unreadable|")), "{shown}");
    let read_back = format!(
        "{with_store}
        use(db => {{ const all = {{}}; const tx = db.transaction('call-log-outbox');
          const cursor = tx.objectStore('call-log-outbox').openCursor();
          cursor.onsuccess = () => {{ const c = cursor.result; if (c) {{ all[c.key] = c.value; c.continue(); }} }};
          tx.oncomplete = () => {{ db.close(); done(all); }}; }});"
    );
    let stored = in_widget(client, "#softphone", &read_back).await;
    let aside: Vec<_> = stored
        .as_object()
        .expect("the store's records")
        .iter()
        .filter(|(name, _)| name.starts_with(&format!("{key}|unreadable|")))
        .map(|(_, value)| value.clone())
        .collect();
    assert_eq!(aside, [json!(unreadable)], "kept whole, under a key of its own: {stored}");
    agent.close().await;
}

#[tokio::test]
async fn the_history_writes_a_missed_callers_number_as_the_record_found_by_it_does() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    instance.add_record(contact("c0a7ac70000000000000000000001130", "Lena Okafor", "+1 (415) 555-0131"));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1130").await;
    authorise_servicenow(client).await;

    // A caller known only by a national number, without a name.
    let caller = e2e::sip_caller("4155550131", "").await;
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";
    let call = caller.run(move |agent, now| agent.call(now, "1130", sdp.to_owned()).map_err(|e| e.to_string())).await;
    let call = call.expect("the caller places its call");
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record h2", "Lena Okafor").await;
    enter_widget(client, "#openframe").await;
    // The caller gives up before the agent answers.
    caller.run(move |agent, now| agent.hang_up(now, call)).await.expect("the caller hangs up");
    eventually("the call to stop ringing", || async {
        by_role(client, "alertdialog", "Incoming call").await.is_err().then_some(())
    })
    .await;
    let tab = by_role(client, "tab", "History").await.unwrap();
    eventually("the missed call counted on the History tab", || async {
        tab.text().await.ok().filter(|text| text.contains('1')).map(|_| ())
    })
    .await;
    tab.click().await.unwrap();
    let entry = eventually("the call in Recent calls", || async {
        let text = by_role(client, "list", "Recent calls").await.ok()?.text().await.ok()?;
        text.contains("Missed").then_some(text)
    })
    .await;
    assert!(entry.contains("+1 (415) 555-0131 · Lena Okafor · "), "the number as the CRM writes it: {entry}");
    assert!(!entry.contains("4155550131"), "{entry}");
    let marked = client.find_all(Locator::Css(".fp-history__entry--missed")).await.unwrap();
    assert_eq!(marked.len(), 1, "the missed call is marked");
    let _ = tokio::time::timeout(PATIENCE, caller.run(|agent, now| agent.stop(now))).await;
    agent.close().await;
}
