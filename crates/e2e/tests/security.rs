//! What the widget refuses: hosts outside the allow-list, messages from other origins, and a
//! broken configuration.

use std::time::Duration;

use e2e::{Browser, PATIENCE, Recorder, by_role, devserver, eventually, screenshot, wait_for_log, wait_for_role};
use fantoccini::{Client, Locator};

async fn alert_text(client: &Client, heading: &str) -> String {
    let alert = eventually(&format!("an alert headed {heading:?}"), || async {
        let alert = client.find(Locator::Css("[role=alert]")).await.ok()?;
        let text = alert.text().await.ok()?;
        text.starts_with(heading).then_some(alert)
    })
    .await;
    wait_for_role(client, "heading", heading, PATIENCE).await.expect("the alert's heading");
    alert.text().await.unwrap()
}

#[tokio::test]
async fn a_top_domain_outside_the_allow_list_is_refused_without_a_request() {
    let server = devserver().await;
    let recorder = Recorder::start("").await;
    let browser = Browser::start().await;
    let client = &browser.client;

    for (param, value) in [
        ("topDomain", recorder.origin.clone()),
        ("sfdcIFrameOrigin", recorder.origin.clone()),
        ("topDomain", format!("{}.evil.test", server.servicenow)),
        ("topDomain", format!("{}@{}", server.servicenow, recorder.origin.trim_start_matches("http://"))),
    ] {
        let url = format!("{}/?{param}={}", server.widget, value);
        client.goto(&url).await.unwrap();
        let text = alert_text(client, "This page may not use the phone").await;
        assert!(text.contains("Nothing was loaded from or sent to that page."), "{text}");
        assert!(by_role(client, "textbox", "Number").await.is_err(), "the phone must not appear for {value}");
    }
    let text = {
        client.goto(&format!("{}/?topDomain={}", server.widget, recorder.origin)).await.unwrap();
        alert_text(client, "This page may not use the phone").await
    };
    assert!(text.contains(&format!("{} is not allowed to embed this phone", recorder.origin)), "{text}");
    client.set_window_size(420, 400).await.unwrap();
    screenshot(client, "refused-origin").await;
    // Give a stray request time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(recorder.hits(), 0, "the widget contacted a refused origin");
    browser.close().await;
}

/// A page on another origin that posts a forged click-to-call into the OpenFrame widget.
const FORGER: &str = r#"<!doctype html><script>
  const forged = JSON.stringify({ type: "NOW.PostMessage", eventName: "openframe_communication",
    args: { type: "OUTGOING_CALL", data: { phoneNumber: "+1 900 555 0666", name: "Forged" } } });
  for (let i = 0; i < 5; i++) setTimeout(() => window.top.frames[0].postMessage(forged, "*"), i * 100);
  setTimeout(() => document.title = "sent", 600);
</script>"#;

#[tokio::test]
async fn a_forged_message_from_another_origin_changes_nothing() {
    let server = devserver().await;
    let forger = Recorder::start(FORGER).await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    wait_for_log(client, "ok setSize").await;

    // The forging page sits in the same top window as the widget, as an ad or a compromised
    // widget would, and posts the exact wire message ServiceNow sends.
    let script = "const f = document.createElement('iframe'); f.id = 'forger'; f.src = arguments[0];
                  document.body.append(f);";
    client.execute(script, vec![serde_json::json!(format!("{}/forge", forger.origin))]).await.unwrap();
    let forger_frame = client.find(Locator::Css("#forger")).await.unwrap();
    forger_frame.enter_frame().await.unwrap();
    eventually("the forger to finish", || async {
        let title = client.execute("return document.title", vec![]).await.ok()?;
        (title == "sent").then_some(())
    })
    .await;
    client.enter_parent_frame().await.unwrap();

    let widget = client.find(Locator::Css("#openframe")).await.unwrap();
    widget.enter_frame().await.unwrap();
    let number = by_role(client, "textbox", "Number").await.unwrap();
    assert_eq!(number.prop("value").await.unwrap().as_deref(), Some(""), "a forged number reached the dial pad");

    // The same message from ServiceNow itself is accepted: the channel works.
    client.enter_parent_frame().await.unwrap();
    by_role(client, "button", "Call +1 (555) 010-0101").await.unwrap().click().await.unwrap();
    let widget = client.find(Locator::Css("#openframe")).await.unwrap();
    widget.enter_frame().await.unwrap();
    eventually("ServiceNow's own click-to-call", || async {
        let value = by_role(client, "textbox", "Number").await.ok()?.prop("value").await.ok()??;
        (value == "+15550100101").then_some(())
    })
    .await;
    browser.close().await;
}

#[tokio::test]
async fn a_broken_configuration_shows_every_problem() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;

    server.set_config(
        r#"{
          "sip": { "domain": "pbx.example.com", "servers": ["ws://pbx.example.com"], "transport": "udp" },
          "hosts": { "allowedOrigins": [] },
          "panel": { "height": "tall" }
        }"#,
    );
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    let text = alert_text(client, "The phone's configuration has problems").await;
    for line in [
        "sip.servers[0]: \"ws://pbx.example.com\" must use wss://",
        "sip.transport: is not a known setting",
        "hosts.allowedOrigins: must list at least one host origin",
        "panel.height: expected a whole number, found a string",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }

    server.set_config("{ \"sip\": ");
    client.refresh().await.unwrap();
    let text = alert_text(client, "The phone's configuration has problems").await;
    assert!(text.contains("framephone.json line 1, column 9: is not valid JSON"), "{text}");

    // Inside a host, the same screen appears in the host's panel, and the host is never told
    // the phone is ready: Salesforce keeps its numbers plain text.
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    client.find(Locator::Css("#softphone")).await.unwrap().enter_frame().await.unwrap();
    alert_text(client, "The phone's configuration has problems").await;
    client.enter_parent_frame().await.unwrap();
    assert!(by_role(client, "link", "(415) 555-0131").await.is_err(), "click-to-dial without a phone");
    assert!(client.find(Locator::Css("#softphone-loading")).await.unwrap().is_displayed().await.unwrap());
    screenshot(client, "configuration-problems").await;
    browser.close().await;
}
