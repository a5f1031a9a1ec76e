//! The phone when the SIP server goes away: unreachable at sign-in (it says so, retries, and
//! registers once the server is back), and restarted during a call (the call goes on and can
//! still be hung up). These tests stop and start the lab (`scripts/lab.sh`, with the `LAB_*`
//! settings of the run), so they live in a test binary of their own.

use std::time::Duration;

use e2e::{Browser, PATIENCE, audio_packets, by_role, devserver, eventually, submit_sign_in, wait_for_role};
use fantoccini::Client;

/// These tests stop and restart the one lab: one at a time.
static LAB: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn lab(command: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/lab.sh");
    let status = std::process::Command::new(script).arg(command).status().expect("scripts/lab.sh");
    assert!(status.success(), "scripts/lab.sh {command} failed");
}

async fn status_shows(client: &Client, expected: &str, patience: Duration) {
    let deadline = std::time::Instant::now() + patience;
    loop {
        let text = match by_role(client, "status", "").await {
            Ok(status) => status.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(expected) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "status never showed {expected:?}; last: {text:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn packets_received(client: &Client) -> u64 {
    let text = e2e::call_text(client).await.expect("the call");
    audio_packets(&text).1
}

#[tokio::test]
async fn an_unreachable_server_at_sign_in_is_retried_until_it_is_back() {
    let _lab = LAB.lock().await;
    let server = devserver().await;
    lab("stop");
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    submit_sign_in(client, "1001").await;
    status_shows(client, "Reconnecting (next try in", Duration::from_secs(15)).await;
    lab("start");
    status_shows(client, "Registered as 1001", Duration::from_secs(40)).await;
    browser.close().await;
}

#[tokio::test]
async fn a_call_outlives_a_server_restart_and_can_still_be_hung_up() {
    let _lab = LAB.lock().await;
    let server = devserver().await;
    let caller = Browser::start().await;
    let callee = Browser::start().await;
    let (a, b) = (&caller.client, &callee.client);
    for (client, user) in [(a, "1001"), (b, "1002")] {
        client.goto(&format!("{}/", server.widget)).await.unwrap();
        submit_sign_in(client, user).await;
        status_shows(client, &format!("Registered as {user}"), PATIENCE).await;
    }
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.unwrap();
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("audio", || async { (packets_received(a).await >= 25).then_some(()) }).await;

    lab("restart");
    for (client, user) in [(a, "1001"), (b, "1002")] {
        status_shows(client, &format!("Registered as {user}"), Duration::from_secs(40)).await;
    }
    let before = packets_received(a).await;
    eventually("audio to keep flowing", || async { (packets_received(a).await >= before + 25).then_some(()) }).await;
    by_role(b, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the caller's call to end", || async { e2e::call_region(a).await.is_err().then_some(()) }).await;
    caller.close().await;
    callee.close().await;
}
