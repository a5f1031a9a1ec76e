//! The widget inside each host view: it completes the host's handshake, and a click on a
//! record's phone number lands in its dial pad.

use e2e::{
    Browser, PATIENCE, by_role, devserver, enter_widget, eventually, host_log, screenshot, wait_for_log, wait_for_role,
    wait_for_status,
};
use fantoccini::{Client, Locator};

async fn leave_widget(client: &Client) {
    client.enter_parent_frame().await.expect("back to the host page");
}

/// Waits until the Number box holds `number` and the dial pad says where it came from.
async fn wait_for_dial_pad(client: &Client, number: &str, source: &str) {
    eventually(&format!("{number} from {source} in the dial pad"), || async {
        let field = by_role(client, "textbox", "Number").await.ok()?;
        let value = field.prop("value").await.ok()??;
        let body = client.find(Locator::Css(".fp-dialpad__source")).await.ok()?.text().await.ok()?;
        (value == number && body == format!("From {source}")).then_some(())
    })
    .await;
}

/// Every expected host call was logged, and the host refused none.
fn assert_handshake(log: &[String], expected: &[&str]) {
    for entry in expected {
        assert!(log.iter().any(|e| e == entry), "{entry} missing from {log:?}");
    }
    assert!(!log.iter().any(|e| e.starts_with("refused")), "the host refused something: {log:?}");
}

async fn element_text(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.expect(css).text().await.unwrap_or_default()
}

#[tokio::test]
async fn servicenow_handshake_and_every_click_to_call_shape() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();

    let log = wait_for_log(client, "ok setSize").await;
    assert_handshake(&log, &["ok openframe_init", "ok openframe_get_config", "ok setTitle", "ok setSubtitle"]);
    assert_eq!(element_text(client, "#of-title").await, "Framephone");
    let frame = client.find(Locator::Css("#openframe")).await.unwrap();
    assert_eq!(frame.css_value("height").await.unwrap(), "300px");

    enter_widget(client, "#openframe").await;
    wait_for_status(client, "Connected to ServiceNow").await;
    for tab in ["Dial pad", "Directory", "History"] {
        by_role(client, "tab", tab).await.unwrap();
    }

    let shapes = ["metaData", "phoneNumber", "context", "telephoneNumber"];
    for (index, shape) in shapes.into_iter().enumerate() {
        leave_widget(client).await;
        client.find(Locator::Css("#payload-shape")).await.unwrap().select_by_value(shape).await.unwrap();
        // Alternate between the two numbers so each shape visibly changes the dial pad.
        let (button, number) = if index % 2 == 0 {
            ("Call +1 (555) 010-0101", "+15550100101")
        } else {
            ("Call +1 555 010 0177", "+15550100177")
        };
        if index == 1 {
            by_role(client, "button", "Contact Ana Díaz").await.unwrap().click().await.unwrap();
        }
        wait_for_role(client, "button", button, PATIENCE).await.unwrap().click().await.unwrap();
        enter_widget(client, "#openframe").await;
        wait_for_dial_pad(client, number, "Ana Díaz (ServiceNow)").await;
    }

    // A click-to-call while the panel is closed brings the panel back.
    leave_widget(client).await;
    by_role(client, "button", "Close OpenFrame").await.unwrap().click().await.unwrap();
    assert!(!client.find(Locator::Css("#of-panel")).await.unwrap().is_displayed().await.unwrap());
    by_role(client, "button", "Call +1 555 010 0177").await.unwrap().click().await.unwrap();
    // The earlier click-to-calls logged "ok show" already: what counts is the panel shown again.
    eventually("the panel shown again", || async {
        client.find(Locator::Css("#of-panel")).await.ok()?.is_displayed().await.ok()?.then_some(())
    })
    .await;
    wait_for_log(client, "ok show").await;
    screenshot(client, "servicenow").await;
    browser.close().await;
}

#[tokio::test]
async fn lightning_handshake_click_to_dial_and_navigation() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();

    let log = wait_for_log(client, "ok sforce.opencti.getAppViewInfo").await;
    assert_handshake(
        &log,
        &[
            "ok sforce.opencti.onClickToDial",
            "ok sforce.opencti.onNavigationChange",
            "ok sforce.opencti.notifyInitializationComplete",
            "ok sforce.opencti.enableClickToDial",
            "ok sforce.opencti.setSoftphonePanelWidth",
            "ok sforce.opencti.setSoftphonePanelHeight",
            "ok sforce.opencti.setSoftphonePanelLabel",
            "ok sforce.opencti.setSoftphoneItemLabel",
        ],
    );
    // The open panel's header and the minimised utility item both carry the configured title.
    assert_eq!(element_text(client, "#utility-label").await, "Framephone");
    assert_eq!(element_text(client, "#softphone-label").await, "Framephone");
    assert!(!client.find(Locator::Css("#softphone-loading")).await.unwrap().is_displayed().await.unwrap());

    enter_widget(client, "#softphone").await;
    wait_for_status(client, "Connected to Salesforce").await;
    eventually("the record in view", || async {
        let text = element_text(client, ".fp-context").await;
        (text == "Viewing Lena Park").then_some(())
    })
    .await;

    // Minimise the panel, then click a number: the number arrives and the panel comes back.
    leave_widget(client).await;
    by_role(client, "button", "Minimize softphone").await.unwrap().click().await.unwrap();
    by_role(client, "link", "(415) 555-0131").await.unwrap().click().await.unwrap();
    wait_for_log(client, "ok sforce.opencti.setSoftphonePanelVisibility").await;
    assert!(client.find(Locator::Css("#softphone-panel")).await.unwrap().is_displayed().await.unwrap());
    enter_widget(client, "#softphone").await;
    wait_for_dial_pad(client, "4155550131", "Lena Park (Salesforce)").await;

    // Navigating to another record is reported by onNavigationChange.
    leave_widget(client).await;
    client.find(Locator::Css("a[data-record-id='001Dn00000GlobexAc']")).await.unwrap().click().await.unwrap();
    by_role(client, "link", "415-555-0142").await.unwrap().click().await.unwrap();
    enter_widget(client, "#softphone").await;
    wait_for_dial_pad(client, "4155550142", "Globex (Salesforce)").await;
    assert_eq!(element_text(client, ".fp-context").await, "Viewing Globex");
    leave_widget(client).await;
    screenshot(client, "salesforce-lightning").await;
    browser.close().await;
}

#[tokio::test]
async fn classic_handshake_and_click_to_dial_json_string() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/classic?record=00QDn00000RaviShah", server.salesforce)).await.unwrap();

    let log = wait_for_log(client, "ok sforce.interaction.getPageInfo").await;
    assert_handshake(
        &log,
        &[
            "ok sforce.interaction.cti.onClickToDial",
            "ok sforce.interaction.onFocus",
            "ok sforce.interaction.cti.notifyInitializationComplete",
            "ok sforce.interaction.cti.enableClickToDial",
            "ok sforce.interaction.cti.setSoftphoneWidth",
            "ok sforce.interaction.cti.setSoftphoneHeight",
        ],
    );

    by_role(client, "link", "+1 (628) 555-0199").await.unwrap().click().await.unwrap();
    enter_widget(client, "#softphone").await;
    wait_for_status(client, "Connected to Salesforce Classic").await;
    wait_for_dial_pad(client, "+16285550199", "Ravi Shah (Salesforce Classic)").await;
    assert_eq!(element_text(client, ".fp-context").await, "Viewing Ravi Shah");
    leave_widget(client).await;
    // Outside the console the sidebar softphone is always shown: the phone asks whether it is in
    // the console and, as it is not, never calls setVisible, which works there alone.
    let log = host_log(client).await;
    assert!(log.iter().any(|e| e == "ok sforce.interaction.isInConsole"), "{log:?}");
    assert!(!log.iter().any(|e| e.contains("setVisible") || e.starts_with("refused")), "{log:?}");
    screenshot(client, "salesforce-classic").await;
    browser.close().await;
}

#[tokio::test]
async fn pop_out_runs_without_a_host() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_status(client, "Pop-out window").await;
    assert_eq!(client.title().await.unwrap(), "Framephone");
    let keypad = by_role(client, "button", "7").await.unwrap();
    keypad.click().await.unwrap();
    by_role(client, "button", "#").await.unwrap().click().await.unwrap();
    let number = by_role(client, "textbox", "Number").await.unwrap();
    assert_eq!(number.prop("value").await.unwrap().as_deref(), Some("7#"));
    client.set_window_size(420, 560).await.unwrap();
    screenshot(client, "pop-out").await;
    browser.close().await;
}

#[tokio::test]
async fn emulators_refuse_what_the_real_hosts_refuse() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;

    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    wait_for_log(client, "ok setSize").await;
    enter_widget(client, "#openframe").await;
    let outcomes = client
        .execute(
            "const tries = [
               () => openFrameAPI.setTitle('x'.repeat(257)),
               () => openFrameAPI.setSize('wide', 10),
               () => openFrameAPI.setHeight(-1),
               () => openFrameAPI.openCustomURL('https://evil.example/x'),
               () => openFrameAPI.openCustomURL('//evil.example/x'),
               () => openFrameAPI.openServiceNowForm({entity: 'incident', query: 'sysparm_goto_url=x'}),
               () => openFrameAPI.subscribe('no_such_event', () => {}),
               () => openFrameAPI.setPresenceIndicator('Away', 'purple'),
             ];
             return tries.map(t => { try { t(); return 'accepted'; } catch (e) { return e.message; } });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        serde_json::json!([
            "Title cannot exceed 256 characters",
            "Width must be a number",
            "Height must not be negative",
            "Custom url cannot be absolute",
            "Custom url cannot be absolute",
            "Url query string cannot have redirects",
            "no_such_event is not a valid event for subscription",
            "purple is not a valid presence indicator color",
        ])
    );
    // An over-long message never leaves the frame: COMMUNICATION_FAILURE instead.
    let failure = client
        .execute_async(
            "const done = arguments[0];
             openFrameAPI.subscribe(openFrameAPI.EVENTS.COMMUNICATION_FAILURE, (e) => done(e.message));
             openFrameAPI.setIcons([{ imageURL: 'x'.repeat(5000), imageTitle: 'big' }]);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(failure, "Message payload exceeds the supported limit");
    leave_widget(client).await;
    assert!(!host_log(client).await.iter().any(|e| e.ends_with("setIcons")));

    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    wait_for_log(client, "ok sforce.opencti.getAppViewInfo").await;
    enter_widget(client, "#softphone").await;
    let answers = client
        .execute_async(
            "const done = arguments[0];
             const ask = (method, args) => new Promise(r => sforce.opencti[method]({...args, callback: r}));
             Promise.all([
               ask('setSoftphonePanelHeight', {heightPX: 239}),
               ask('setSoftphonePanelHeight', {heightPX: 2561}),
               ask('setSoftphonePanelWidth', {widthPX: 199}),
               ask('setSoftphonePanelWidth', {widthPX: 400}),
               ask('screenPop', {type: sforce.opencti.SCREENPOP_TYPE.URL, params: {url: 'https://evil.example'}}),
               ask('saveLog', {value: {entityApiName: 'Task', Subject: 'Call', WhoId: '003Dn00000LenaPark'}}),
             ]).then(rs => done(rs.map(r => r.success)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(answers, serde_json::json!([false, false, false, true, false, true]));
    leave_widget(client).await;
    eventually("the saved Task in the activity timeline", || async {
        let text = element_text(client, ".sf-activity").await;
        text.contains("Call").then_some(())
    })
    .await;
    browser.close().await;
}

#[tokio::test]
async fn a_host_that_does_not_answer_is_reported_and_the_phone_stays_usable() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;

    // An allowed origin that is no ServiceNow instance: neither script version exists there.
    client.goto(&format!("{}/?topDomain={}", server.widget, server.salesforce)).await.unwrap();
    let missing = format!("{}/scripts/openframe/1.0.5/openFrameAPI.min.js", server.salesforce);
    wait_for_status(client, &format!("Could not connect to ServiceNow: could not load {missing}")).await;

    // The ServiceNow view opened in a tab of its own: the library loads, but no top frame
    // answers its init, which times out after 3000 ms as the real one does.
    client.goto(&format!("{}/?topDomain={}", server.widget, server.servicenow)).await.unwrap();
    wait_for_status(
        client,
        "Could not connect to ServiceNow: openFrameAPI.init failed: Openframe init request timed out",
    )
    .await;
    by_role(client, "button", "5").await.unwrap().click().await.unwrap();
    let number = by_role(client, "textbox", "Number").await.unwrap();
    assert_eq!(number.prop("value").await.unwrap().as_deref(), Some("5"));
    browser.close().await;
}
