//! Calls inside the host views: an agent signed in inside ServiceNow's OpenFrame panel, or
//! Salesforce Lightning's or Classic's softphone panel, takes a call from a colleague in the
//! pop-out view. The incoming call asks the host to show the panel, even when the agent
//! minimised it.
//! Needs the Kamailio lab (`$LAB_WS_PORT`).

use e2e::{
    Browser, PATIENCE, audio_packets, by_role, devserver, enter_widget, eventually, sign_in, signed_in_browser,
    wait_for_log, wait_for_role, wait_for_status,
};
use fantoccini::{Client, Locator};

/// Waits until the host page's element `css` reads `expected`.
async fn host_text_becomes(client: &Client, css: &str, expected: &str) {
    eventually(&format!("{css} to read {expected:?}"), || async {
        let text = client.find(Locator::Css(css)).await.ok()?.text().await.ok()?;
        (text.trim() == expected).then_some(())
    })
    .await;
}

/// A colleague in the pop-out view calls `callee`.
async fn colleague_calls(widget: &str, user: &str, callee: &str) -> Browser {
    let browser = signed_in_browser(widget, user).await;
    by_role(&browser.client, "textbox", "Number").await.unwrap().send_keys(&format!("{callee}\u{e007}")).await.unwrap();
    browser
}

/// In the widget's frame: the call rings, is answered, and audio flows both ways.
/// Answers the ringing call and waits for audio both ways.
async fn answer_and_hear(client: &Client) {
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("audio both ways in the host view", || async {
        let text = e2e::call_text(client).await?;
        let (sent, received) = audio_packets(&text);
        (sent >= 25 && received >= 25).then_some(())
    })
    .await;
}

/// Answers, hears audio both ways, and hangs up.
async fn answer_and_talk(client: &Client) {
    answer_and_hear(client).await;
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
}

#[tokio::test]
async fn a_call_rings_inside_servicenow_and_shows_the_openframe_panel() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1001").await;
    let caller = colleague_calls(&server.widget, "1002", "1001").await;
    client.enter_parent_frame().await.unwrap();
    wait_for_log(client, "ok show").await;
    host_text_becomes(client, "#of-subtitle", "Ringing: \u{2068}1002\u{2069}").await;
    enter_widget(client, "#openframe").await;
    answer_and_talk(client).await;
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn a_call_rings_inside_salesforce_lightning_and_brings_the_minimised_panel_back() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    enter_widget(client, "#softphone").await;
    sign_in(client, "1003").await;
    client.enter_parent_frame().await.unwrap();
    by_role(client, "button", "Minimize softphone").await.unwrap().click().await.unwrap();
    let caller = colleague_calls(&server.widget, "1004", "1003").await;
    wait_for_log(client, "ok sforce.opencti.setSoftphonePanelVisibility").await;
    assert!(client.find(Locator::Css("#softphone-panel")).await.unwrap().is_displayed().await.unwrap());
    host_text_becomes(client, "#utility-label", "Ringing: \u{2068}1004\u{2069}").await;
    enter_widget(client, "#softphone").await;
    answer_and_talk(client).await;
    client.enter_parent_frame().await.unwrap();
    host_text_becomes(client, "#utility-label", "Framephone").await;
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn a_call_rings_inside_salesforce_classic_and_the_agent_stays_signed_in_across_page_loads() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/classic", server.salesforce)).await.unwrap();
    enter_widget(client, "#softphone").await;
    sign_in(client, "1009").await;
    let caller = colleague_calls(&server.widget, "1010", "1009").await;
    answer_and_hear(client).await;
    // Classic loads a new page, and the softphone with it, on every navigation: the phone signs
    // the agent back in by itself and takes the next call. The navigation cuts the call in
    // progress off; the browser may ask first (the phone asks while a call is up; whether a
    // frame's question is shown is the browser's call): the agent leaves.
    client.enter_parent_frame().await.unwrap();
    by_role(client, "link", "Globex").await.unwrap().click().await.unwrap();
    for _ in 0..20 {
        if client.accept_alert().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    enter_widget(client, "#softphone").await;
    wait_for_status(client, "Registered as 1009").await;
    // The call the navigation cut off is in the history as such, not lost silently.
    by_role(client, "tab", "History").await.unwrap().click().await.unwrap();
    eventually("the cut-off call in Recent calls", || async {
        let text = by_role(client, "list", "Recent calls").await.ok()?.text().await.ok()?;
        text.contains("Page reloaded or closed").then_some(())
    })
    .await;
    // The caller heard the call end: the phone hung it up as the page went.
    eventually("the caller's call to end", || async { e2e::call_region(&caller.client).await.is_err().then_some(()) })
        .await;
    by_role(&caller.client, "button", "Call").await.unwrap().click().await.unwrap();
    answer_and_talk(client).await;
    caller.close().await;
    agent.close().await;
}
