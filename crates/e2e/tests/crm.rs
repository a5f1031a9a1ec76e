//! The phone working the CRM around real calls: the caller's record opens as the call rings,
//! wrap-up takes a disposition and notes, and the call lands in the record's activity history.
//! ServiceNow through its REST API (after the agent authorises the phone in the instance's
//! consent popup), Salesforce Lightning through Open CTI. Call logs survive an outage of the
//! instance and a reload of the page in between.
//! Needs the Kamailio lab (`$LAB_WS_PORT`); agents 1041–1048.

use std::time::Duration;

use devserver::{ServiceNowField, ServiceNowInstance, ServiceNowRecord};
use e2e::{Browser, PATIENCE, by_role, devserver, eventually, sign_in, signed_in_browser, wait_for_role};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

async fn enter_widget(client: &Client, frame: &str) {
    client.enter_parent_frame().await.ok();
    let frame = client.find(Locator::Css(frame)).await.expect("the widget's iframe");
    frame.enter_frame().await.expect("enter the widget's iframe");
}

/// Waits until the host page's element `css` contains `text`.
async fn page_shows(client: &Client, css: &str, text: &str) {
    eventually(&format!("{css} to show {text:?}"), || async {
        let shown = client.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        shown.contains(text).then_some(())
    })
    .await;
}

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

/// Answers the ringing call, lets it run until audio flows, and hangs up.
async fn answer_talk_and_hang_up(client: &Client) {
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("audio both ways", || async {
        let text = by_role(client, "region", "Active call").await.ok()?.text().await.ok()?;
        let (sent, received) = e2e::audio_packets(&text);
        (sent >= 10 && received >= 10).then_some(())
    })
    .await;
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
}

/// Fills the wrap-up form of the call with `party`: the disposition, the notes, then Done.
async fn wrap_up(client: &Client, party: &str, disposition: &str, notes: &str) {
    let form = wait_for_role(client, "region", &format!("Wrap-up: {party}"), PATIENCE).await.expect("the wrap-up form");
    let select = form.find(Locator::Css("select")).await.expect("the Disposition choice");
    select.select_by_label(disposition).await.expect("choose the disposition");
    let notes_box = by_role(client, "textbox", "Notes").await.expect("the Notes box");
    notes_box.send_keys(notes).await.unwrap();
    by_role(client, "button", "Done").await.unwrap().click().await.unwrap();
    eventually("the wrap-up form to close", || async {
        by_role(client, "region", &format!("Wrap-up: {party}")).await.is_err().then_some(())
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
    wrap_up(client, "1042", "Resolved", "Refund of order 1189 confirmed").await;

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
async fn a_servicenow_log_waits_out_an_outage_and_a_reload_and_arrives_once() {
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

    // The instance answers 503 to everything while the agent finishes wrap-up: the log waits.
    instance.rest_unavailable_for(Duration::from_secs(120));
    wrap_up(client, "1044", "Call back", "Wants a call on Monday").await;
    eventually("the log to wait for the instance", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains("1 call log waiting for ServiceNow").then_some(())
    })
    .await;
    assert!(logs_of(&instance, "1044").is_empty(), "nothing was written during the outage");
    let tried =
        instance.requests().iter().any(|(method, path)| method == "POST" && path.contains("sn_openframe_phone_log"));
    assert!(tried, "the phone tried during the outage: {:?}", instance.requests());

    // The agent reloads the CRM page: the log is still kept; once the instance is back and
    // the agent has authorised again (the token lived in the old page), it is delivered once.
    client.enter_parent_frame().await.unwrap();
    client.refresh().await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("the kept log after the reload", || async {
        let text = by_role(client, "region", "Activity").await.ok()?.text().await.ok()?;
        text.contains("1 call log waiting for ServiceNow").then_some(())
    })
    .await;
    instance.rest_unavailable_for(Duration::ZERO);
    authorise_servicenow(client).await;
    let row = eventually("the phone log after the outage", || async {
        let rows = logs_of(&instance, "1044");
        (rows.len() == 1).then(|| rows[0].clone())
    })
    .await;
    assert_eq!((row["disposition"].as_str(), row["document_id"].as_str()), (Some("Call back"), Some(sys_id)));
    assert_eq!(row["notes"], "Wants a call on Monday");
    eventually("the Activity list to empty", || async {
        by_role(client, "region", "Activity").await.is_err().then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(logs_of(&instance, "1044").len(), 1, "delivered once");
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
    wrap_up(client, "1046", "Escalated", "Passed to billing").await;

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
