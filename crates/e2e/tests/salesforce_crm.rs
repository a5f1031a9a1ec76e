//! The Salesforce emulator's CRM side, driven through Open CTI from inside the softphone frame
//! exactly as the widget calls it: searches that find one record, two (the picker) or none,
//! screen pops to a record or a new-record form, and Tasks logged with saveLog that appear on
//! the record's activity timeline and stay there across page loads. The org's state is read
//! back through `devserver::Running::salesforce_org`.

use e2e::{Browser, by_role, devserver, enter_widget, host_log, page_shows, wait_for_log, wait_for_role};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// Runs `script` in the softphone frame; it ends by calling `done(value)`.
async fn in_frame(client: &Client, script: &str) -> Value {
    enter_widget(client, "#softphone").await;
    let value = client.execute_async(&format!("const done = arguments[0];\n{script}"), vec![]).await.expect(script);
    client.enter_parent_frame().await.expect("back to the host page");
    value
}

#[tokio::test]
async fn lightning_search_screen_pop_and_save_log() {
    let server = devserver().await;
    let org = server.salesforce_org();
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    wait_for_log(client, "ok sforce.opencti.getAppViewInfo").await;

    // A deferred search pops nothing; two records share Lena Park's mobile number.
    let ask = "const ask = (method, args) => new Promise(r => sforce.opencti[method]({...args, callback: r}));";
    let two = in_frame(
        client,
        &format!(
            "{ask} ask('searchAndScreenPop', {{searchParams: '+14155550177', queryParams: '', deferred: true,
                    callType: sforce.opencti.CALL_TYPE.INBOUND}}).then(done);"
        ),
    )
    .await;
    assert_eq!(two["success"], true);
    let found = &two["returnValue"];
    assert_eq!(found["003Dn00000LenaPark"]["RecordType"], "Contact");
    assert_eq!(found["001Dn00000ParkHold"]["Name"], "Park Holdings");
    assert_eq!(found["SCREEN_POP_DATA"]["type"], "search");
    assert!(org.screen_pops().is_empty(), "a deferred search pops nothing");
    page_shows(client, "#record h2", "Contact: Lena Park").await;

    // Open the agent's choice, then log a call against it and refresh the view.
    let opened = in_frame(
        client,
        &format!(
            "{ask} ask('screenPop', {{type: sforce.opencti.SCREENPOP_TYPE.SOBJECT, params: {{recordId: '001Dn00000ParkHold'}}}}).then(done);"
        ),
    )
    .await;
    assert_eq!(opened["success"], true);
    page_shows(client, "#record h2", "Account: Park Holdings").await;
    assert_eq!(
        org.screen_pops(),
        vec![json!({"mode": "lightning", "type": "sobject", "recordId": "001Dn00000ParkHold"})]
    );
    let saved = in_frame(
        client,
        &format!(
            "{ask} ask('saveLog', {{value: {{entityApiName: 'Task', Subject: 'Inbound call from Park Holdings (+14155550177)',
                   CallType: 'Inbound', CallDurationInSeconds: 42, CallObject: 'c41@lab', CallDisposition: 'Resolved',
                   Description: 'Asked for a quote', Status: 'Completed', WhatId: '001Dn00000ParkHold'}}}})
               .then(r => ask('refreshView', {{}}).then(() => done(r)));"
        ),
    )
    .await;
    let task_id = saved["returnValue"]["recordId"].as_str().expect("the new Task's Id").to_owned();
    page_shows(
        client,
        ".sf-activity",
        "Inbound call from Park Holdings (+14155550177) · 42 s · Resolved — Asked for a quote",
    )
    .await;
    let tasks = org.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!((tasks[0]["Id"].as_str(), tasks[0]["CallObject"].as_str()), (Some(task_id.as_str()), Some("c41@lab")));

    // An update by Id changes the Task; the Call-ID finds it too.
    let update = format!(
        "{ask} ask('saveLog', {{value: {{Id: '{task_id}', Description: 'Quote sent'}}}})
             .then(() => ask('searchAndScreenPop', {{searchParams: 'c41@lab', deferred: true, callType: 'inbound'}})).then(done);"
    );
    let by_call_id = in_frame(client, &update).await;
    assert_eq!(by_call_id["returnValue"][task_id.as_str()]["RecordType"], "Task");
    assert_eq!(org.tasks().len(), 1);
    assert_eq!(org.tasks()[0]["Description"], "Quote sent");

    // No match: the new-record form, filled in.
    let new_contact = in_frame(
        client,
        &format!(
            "{ask} ask('screenPop', {{type: sforce.opencti.SCREENPOP_TYPE.NEW_RECORD_MODAL,
                    params: {{entityName: 'Contact', defaultFieldValues: {{Phone: '+15550109999'}}}}}}).then(done);"
        ),
    )
    .await;
    assert_eq!(new_contact["success"], true);
    let form = wait_for_role(client, "form", "New Contact", e2e::PATIENCE).await.expect("the new Contact form");
    let phone = form.find(Locator::Css("input")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(phone.as_deref(), Some("+15550109999"));

    // A reload keeps the org: the Task is still on Park Holdings' timeline.
    client.refresh().await.unwrap();
    wait_for_log(client, "ok sforce.opencti.getAppViewInfo").await;
    client.find(Locator::Css("a[data-record-id='001Dn00000ParkHold']")).await.unwrap().click().await.unwrap();
    page_shows(client, ".sf-activity", "Quote sent").await;
    browser.close().await;
}

#[tokio::test]
async fn classic_search_url_screen_pop_and_escaped_save_log() {
    let server = devserver().await;
    let org = server.salesforce_org();
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/classic?record=003Dn00000LenaPark", server.salesforce)).await.unwrap();
    wait_for_log(client, "ok sforce.interaction.getPageInfo").await;

    let ask = "const ask = (method, ...args) => new Promise(r => sforce.interaction[method](...args, r));";
    let found = in_frame(
        client,
        &format!("{ask} ask('searchAndGetScreenPopUrl', '415-555-0142', '', 'inbound').then(r => done(r.result));"),
    )
    .await;
    let found: Value = serde_json::from_str(found.as_str().expect("Classic answers a JSON string")).unwrap();
    assert_eq!(found["001Dn00000GlobexAc"], json!({"Name": "Globex", "object": "Account", "displayName": "Account"}));
    assert_eq!(found["screenPopUrl"], "/001Dn00000GlobexAc");

    // saveLog's "Field=value&…" string, escaped: '&', '=' and '+' in the notes stay notes.
    let params = "Subject=Outbound%20call%20to%20Globex&CallType=Outbound&CallDurationInSeconds=61&CallObject=c42%40lab\
                  &Description=Price%20%26%20terms%20%3D%20ok%20%2B%20follow-up&Status=Completed&WhatId=001Dn00000GlobexAc";
    let saved = in_frame(
        client,
        &format!(
            "{ask} ask('saveLog', 'Task', '{params}').then(r => ask('refreshRelatedList', 'ActivityHistory').then(() => done(r)));"
        ),
    )
    .await;
    assert_eq!(saved["result"], true);
    let task = &org.tasks()[0];
    assert_eq!(saved["id"], task["Id"]);
    assert_eq!(task["Description"], "Price & terms = ok + follow-up");
    assert_eq!(task["CallObject"], "c42@lab");

    // The screen pop answers, then Classic loads the record's page, softphone and all.
    let popped = in_frame(client, &format!("{ask} ask('screenPop', '/001Dn00000GlobexAc', true).then(done);")).await;
    assert_eq!(popped["error"], Value::Null);
    page_shows(client, "#record h2", "Account: Globex").await;
    page_shows(client, ".sf-activity", "Outbound call to Globex · 61 s — Price & terms = ok + follow-up").await;
    assert_eq!(org.screen_pops(), vec![json!({"mode": "classic", "type": "url", "url": "/001Dn00000GlobexAc"})]);

    // Classic's new-Contact page with the Phone field filled in, as a URL.
    wait_for_log(client, "ok sforce.interaction.getPageInfo").await;
    in_frame(client, &format!("{ask} ask('screenPop', '/003/e?con10=%2B15550109999', true).then(done);")).await;
    let form = wait_for_role(client, "form", "New Contact", e2e::PATIENCE).await.expect("the new Contact form");
    let phone = form.find(Locator::Css("input")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(phone.as_deref(), Some("+15550109999"));
    browser.close().await;
}

#[tokio::test]
async fn each_page_answers_its_own_open_cti_only() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/classic", server.salesforce)).await.unwrap();
    wait_for_log(client, "ok sforce.interaction.getPageInfo").await;
    // The Lightning library in a Classic page: the call goes out and nothing answers, which is
    // how the phone tells Classic from Lightning where the URL does not.
    let answer = in_frame(
        client,
        "const s = document.createElement('script');
         s.src = new URLSearchParams(location.search).get('sfdcIFrameOrigin') + '/support/api/60.0/lightning/opencti_min.js';
         s.onload = () => {
           sforce.opencti.getAppViewInfo({callback: () => done('answered')});
           setTimeout(() => done('no answer'), 1500);
         };
         document.head.append(s);",
    )
    .await;
    assert_eq!(answer, "no answer");
    let log = host_log(client).await;
    assert!(log.iter().any(|e| e == "unanswered sforce.opencti.getAppViewInfo"), "{log:?}");
    by_role(client, "link", "Globex").await.unwrap();
    browser.close().await;
}
