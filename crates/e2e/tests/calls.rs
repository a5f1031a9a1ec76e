//! Two agents, each in a headless Chromium of their own with fake audio devices, sign in to the
//! Kamailio lab (`scripts/lab.sh start`; `$LAB_WS_PORT`, default 8088) from the pop-out view and
//! call each other; `getStats` packet counts, shown in the call's region, prove that audio flows.

use e2e::{Browser, by_role, devserver, eventually, screenshot, wait_for_role};
use fantoccini::Client;

const PATIENCE: std::time::Duration = e2e::PATIENCE;

/// A browser with `user` signed in and registered.
async fn agent(widget: &str, user: &str) -> Browser {
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    let username = wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("Username");
    username.send_keys(user).await.expect("type the username");
    by_role(client, "textbox", "Password").await.expect("Password").send_keys(&format!("lab-{user}-pw")).await.unwrap();
    by_role(client, "button", "Sign in").await.expect("Sign in").click().await.unwrap();
    wait_for_status(client, &format!("Registered as {user}")).await;
    browser
}

async fn wait_for_status(client: &Client, expected: &str) {
    eventually(&format!("status {expected:?}"), || async {
        let text = by_role(client, "status", "").await.ok()?.text().await.ok()?;
        text.contains(expected).then_some(())
    })
    .await;
}

/// The text of the "Active call" region, once it contains `expected`.
async fn call_region_with(client: &Client, expected: &str) -> String {
    eventually(&format!("the active call to show {expected:?}"), || async {
        let text = by_role(client, "region", "Active call").await.ok()?.text().await.ok()?;
        text.contains(expected).then_some(text)
    })
    .await
}

/// Audio packets sent and received, as the call's region shows them.
fn packets(text: &str) -> (u64, u64) {
    let numbers: Vec<u64> = text
        .split("Audio packets:")
        .nth(1)
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .take(2)
        .collect();
    (numbers.first().copied().unwrap_or(0), numbers.get(1).copied().unwrap_or(0))
}

/// Waits until the call's audio counters pass `minimum` both ways.
async fn audio_flows(client: &Client, minimum: u64) -> (u64, u64) {
    eventually("audio packets both ways", || async {
        let text = by_role(client, "region", "Active call").await.ok()?.text().await.ok()?;
        let (sent, received) = packets(&text);
        (sent >= minimum && received >= minimum).then_some((sent, received))
    })
    .await
}

#[tokio::test]
async fn two_agents_call_talk_and_hang_up() {
    let server = devserver().await;
    let caller = agent(&server.widget, "1001").await;
    let callee = agent(&server.widget, "1002").await;
    let (a, b) = (&caller.client, &callee.client);

    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002").await.unwrap();
    by_role(a, "button", "Call").await.unwrap().click().await.unwrap();
    let incoming = wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    assert!(incoming.text().await.unwrap().contains("1001"));
    call_region_with(a, "Ringing").await;
    screenshot(b, "incoming-call").await;
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();

    call_region_with(a, "Connected").await;
    call_region_with(b, "Connected").await;
    let (sent, received) = audio_flows(a, 25).await;
    audio_flows(b, 25).await;
    screenshot(a, "active-call").await;
    assert!(sent > 0 && received > 0);

    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the call to end on both sides", || async {
        let gone_a = by_role(a, "region", "Active call").await.is_err();
        let gone_b = by_role(b, "region", "Active call").await.is_err();
        (gone_a && gone_b).then_some(())
    })
    .await;
    caller.close().await;
    callee.close().await;
}

#[tokio::test]
async fn a_declined_call_tells_the_caller() {
    let server = devserver().await;
    let caller = agent(&server.widget, "1003").await;
    let callee = agent(&server.widget, "1004").await;
    let (a, b) = (&caller.client, &callee.client);
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1004\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(b, "button", "Decline").await.unwrap().click().await.unwrap();
    eventually("the caller to learn the call was declined", || async {
        let alert = by_role(a, "alert", "").await.ok()?.text().await.ok()?;
        alert.contains("declined").then_some(())
    })
    .await;
    assert!(by_role(a, "region", "Active call").await.is_err());
    caller.close().await;
    callee.close().await;
}
