//! What the widget refuses: hosts outside the allow-list, messages from other origins, a broken
//! configuration, a page that frames the pop-out without being allowed to, and callers' names
//! that would pass for markup or turn the widget's own text around; and the deployment headers
//! it is served with.

use std::time::Duration;

use e2e::{
    Browser, PATIENCE, Recorder, by_role, csp_violations, devserver, eventually, record_csp_violations,
    response_headers, screenshot, sign_in, wait_for_log, wait_for_role, wait_for_status,
};
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
async fn a_forged_message_from_another_frame_of_the_host_origin_changes_nothing() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    wait_for_log(client, "ok setSize").await;

    // A frame of ServiceNow's own origin that is not the workspace page (a `srcdoc` frame has
    // its parent's origin): its messages carry the host's origin, but not the host's window.
    let script = r#"const f = document.createElement('iframe'); f.id = 'sibling';
        f.srcdoc = `<script>
          const forged = JSON.stringify({ type: "NOW.PostMessage", eventName: "openframe_communication",
            args: { type: "OUTGOING_CALL", data: { phoneNumber: "+1 900 555 0666", name: "Forged" } } });
          const widget = parent.document.getElementById("openframe").contentWindow;
          for (let i = 0; i < 5; i++) setTimeout(() => widget.postMessage(forged, "*"), i * 100);
          setTimeout(() => document.title = "sent", 600);
        <\/script>`;
        document.body.append(f);"#;
    client.execute(script, vec![]).await.unwrap();
    client.find(Locator::Css("#sibling")).await.unwrap().enter_frame().await.unwrap();
    eventually("the sibling frame to finish", || async {
        let title = client.execute("return document.title", vec![]).await.ok()?;
        (title == "sent").then_some(())
    })
    .await;
    client.enter_parent_frame().await.unwrap();
    client.find(Locator::Css("#openframe")).await.unwrap().enter_frame().await.unwrap();
    let number = by_role(client, "textbox", "Number").await.unwrap();
    assert_eq!(number.prop("value").await.unwrap().as_deref(), Some(""), "a forged number reached the dial pad");

    // ServiceNow's own click-to-call, from the workspace page itself, still arrives.
    client.enter_parent_frame().await.unwrap();
    by_role(client, "button", "Call +1 (555) 010-0101").await.unwrap().click().await.unwrap();
    client.find(Locator::Css("#openframe")).await.unwrap().enter_frame().await.unwrap();
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

/// A page on an origin outside the allow-list that frames whatever its `src` parameter names.
const FRAMER: &str = r#"<!doctype html><title>Untrusted</title>
<iframe id="phone" allow="microphone; autoplay" width="400" height="500"></iframe>
<script>document.getElementById("phone").src = new URLSearchParams(location.search).get("src");</script>"#;

/// Whether the frame `#phone` shows the widget's phone, its refusal, or neither (the browser
/// refused to frame it).
async fn framed_phone_text(client: &Client) -> String {
    client.enter_parent_frame().await.ok();
    client.find(Locator::Css("#phone")).await.unwrap().enter_frame().await.unwrap();
    let text = client.execute("return document.body ? document.body.innerText : ''", vec![]).await;
    text.ok().and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_default()
}

#[tokio::test]
async fn the_pop_out_framed_by_an_unlisted_page_does_not_sign_in() {
    let server = devserver().await;
    let untrusted = Recorder::start(FRAMER).await;
    let browser = Browser::start().await;
    let client = &browser.client;

    // The agent signed in with Remember me in the pop-out tab.
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.unwrap().send_keys("1013").await.unwrap();
    by_role(client, "textbox", "Password").await.unwrap().send_keys("lab-1013-pw").await.unwrap();
    by_role(client, "checkbox", "Remember me on this computer").await.unwrap().click().await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    wait_for_status(client, "Registered as 1013").await;
    let framed = |attempt: &str| format!("{}/frame?src={}/?attempt={attempt}", untrusted.origin, server.widget);

    // With the headers (frame-ancestors), the browser does not even show the widget there.
    client.goto(&framed("with-headers")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let text = framed_phone_text(client).await;
    assert!(!text.contains("Sign in") && !text.contains("Registered") && !text.contains("phone"), "{text}");

    // Where the deployment forgot its headers, the widget itself refuses the framing page.
    server.serve_security_headers(false);
    client.enter_parent_frame().await.unwrap();
    client.goto(&framed("without-headers")).await.unwrap();
    client.find(Locator::Css("#phone")).await.unwrap().enter_frame().await.unwrap();
    let text = alert_text(client, "This page may not use the phone").await;
    assert!(text.contains(&format!("inside a frame of {}", untrusted.origin)), "{text}");
    // Give a remembered sign-in time to start, if it were going to.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(by_role(client, "textbox", "Username").await.is_err(), "the phone appeared in the frame");
    assert!(by_role(client, "status", "").await.is_err(), "the phone's status appeared in the frame");
    let remembered = client.execute("return Object.keys(localStorage).length", vec![]).await.unwrap();
    assert_ne!(remembered, serde_json::json!(0), "the remembered sign-in should be there to be refused");
    server.serve_security_headers(true);

    // The same remembered sign-in still works where it belongs: the pop-out tab.
    client.enter_parent_frame().await.unwrap();
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_status(client, "Registered as 1013").await;
    by_role(client, "button", "Sign out").await.unwrap().click().await.unwrap();
    wait_for_status(client, "Phone offline").await;
    browser.close().await;
}

#[tokio::test]
async fn the_widget_origin_serves_the_deployment_headers() {
    let server = devserver().await;
    let served_config = e2e::response_body(&format!("{}/framephone.json", server.widget)).await;
    let expected =
        devserver::headers::for_deployment(&e2e::dist_dir(), &served_config).expect("the served configuration");
    for path in ["/", "/framephone.json"] {
        let headers = response_headers(&format!("{}{path}", server.widget)).await;
        for (name, value) in &expected {
            let found = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
            assert_eq!(found, Some(value.as_str()), "{name} on {path}");
        }
    }
    let policy = &expected[0].1;
    assert!(policy.contains(&format!("frame-ancestors {} {}", server.servicenow, server.salesforce)), "{policy}");
    // A change of the allow-list changes the policy served at once.
    server.amend_config(serde_json::json!({ "hosts": { "allowedOrigins": [server.servicenow] } }));
    let headers = response_headers(&format!("{}/", server.widget)).await;
    let policy = headers.iter().find(|(n, _)| n == "content-security-policy").map(|(_, v)| v.clone()).unwrap();
    assert!(policy.contains(&format!("frame-ancestors {}", server.servicenow)), "{policy}");
    assert!(!policy.contains(&server.salesforce), "{policy}");
}

/// A caller's display name with markup and a right-to-left override: the override would turn
/// the widget's own " (1014)" around ("(4101) ") in the dialog and the tab title.
const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)><b>Mallory</b>\u{202E}";

#[tokio::test]
async fn a_caller_name_with_markup_and_a_bidi_override_shows_as_isolated_text() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    record_csp_violations(client).await;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    sign_in(client, "1012").await;

    let caller = e2e::sip_caller("1014", HOSTILE_NAME).await;
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";
    let placed = caller.run(move |agent, now| agent.call(now, "1012", sdp.to_owned()).map_err(|e| e.to_string())).await;
    placed.expect("the hostile caller places its call");

    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    let shown = client
        .execute(
            "const p = document.querySelector('.fp-incoming__party');
             const bdis = [...p.querySelectorAll('bdi')];
             // The name may wrap: the number must follow its last line.
             const name = [...bdis[0].getClientRects()].pop(), number = bdis[1].getClientRects()[0];
             const after = number.top >= name.bottom - 1 || (number.left >= name.right && number.top >= name.top - 1);
             return { text: p.textContent, elements: p.querySelectorAll('img, b').length,
                      bdis: bdis.map(b => b.textContent), inOrder: after,
                      title: document.title };",
            vec![],
        )
        .await
        .unwrap();
    let visible = "<img src=x onerror=alert(1)><b>Mallory</b>";
    assert_eq!(shown["text"], format!("{visible} (1014)"), "{shown}");
    assert_eq!(shown["elements"], 0, "the name became markup: {shown}");
    assert_eq!(shown["bdis"], serde_json::json!([visible, "1014"]), "{shown}");
    assert_eq!(shown["inOrder"], true, "the number is not laid out after the name: {shown}");
    assert_eq!(shown["title"], format!("Ringing: \u{2068}{visible}\u{2069} (\u{2068}1014\u{2069})"), "{shown}");
    by_role(client, "button", "Decline").await.unwrap().click().await.unwrap();
    eventually("the declined call to go", || async {
        by_role(client, "alertdialog", "Incoming call").await.is_err().then_some(())
    })
    .await;
    // The history keeps the cleaned name, isolated too.
    by_role(client, "tab", "History").await.unwrap().click().await.unwrap();
    let entry = eventually("the call in Recent calls", || async {
        let text = by_role(client, "list", "Recent calls").await.ok()?.text().await.ok()?;
        text.contains("1014").then_some(text)
    })
    .await;
    assert!(entry.contains(&format!("Incoming · {visible} (1014) ·")) && !entry.contains('\u{202E}'), "{entry}");
    assert_eq!(csp_violations(client).await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test]
async fn a_call_between_two_widgets_breaks_no_content_security_policy() {
    let server = devserver().await;
    let (one, two) = (Browser::start().await, Browser::start().await);
    let (a, b) = (&one.client, &two.client);
    // Agents of this test's own: the display-name test beside it registers a SIP agent as 1014,
    // which then takes a share of the calls to that number.
    for (client, user) in [(a, "1029"), (b, "1030")] {
        record_csp_violations(client).await;
        client.goto(&format!("{}/", server.widget)).await.unwrap();
        sign_in(client, user).await;
    }
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1030").await.unwrap();
    e2e::call_and_answer(a, b).await;
    eventually("audio both ways", || async {
        let text = e2e::call_text(a).await?;
        let (sent, received) = e2e::audio_packets(&text);
        (sent > 20 && received > 20).then_some(())
    })
    .await;
    // The ringtone, the call-waiting tone and the level meters all ran under the policy.
    e2e::hang_up(a, b).await;
    for client in [a, b] {
        assert_eq!(csp_violations(client).await, Vec::<String>::new());
    }
    one.close().await;
    two.close().await;
}
