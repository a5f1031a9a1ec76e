//! The widget as deployed: every origin over https (the dev server with the lab's certificate)
//! and SIP over `wss://` (Kamailio's TLS port), in a browser that trusts the lab's test CA and
//! nothing more (`Browser::start_trusting`). Two agents inside ServiceNow's OpenFrame panel call
//! each other: the pages are secure contexts, nothing is loaded over plain http, no CSP
//! violation and no page error, audio both ways. A `ws://` server configured for an https page is
//! refused before anything connects, with the reason shown.
//! Needs the lab (`scripts/lab.sh start`: `$LAB_DIR/tls`, `$LAB_WSS_PORT`).
//!
//! Agents 1035 and 1036 are this file's own.

use std::time::Duration;

use e2e::{
    Browser, LabTls, PATIENCE, Recorder, by_role, check_page_error_recorder, csp_violations, devserver_over_https,
    dial_and_answer, enter_widget, hang_up, hears, page_errors, record_csp_violations, record_page_errors, sign_in,
    wait_for_log, wait_for_role, watch_peer_connections,
};
use fantoccini::{Client, Locator};

/// Enters the OpenFrame panel's frame (from the top page).
/// An agent signed in inside ServiceNow's OpenFrame panel, in a browser that trusts the lab's
/// CA, recording page errors and CSP violations (top page and widget) and watching its calls.
async fn agent_in_servicenow(tls: &LabTls, servicenow: &str, user: &str) -> Browser {
    let browser = Browser::start_trusting(&tls.ca).await;
    let client = &browser.client;
    record_page_errors(client).await;
    record_csp_violations(client).await;
    watch_peer_connections(client).await;
    client.goto(&format!("{servicenow}/")).await.expect("open the ServiceNow emulator");
    wait_for_log(client, "ok setSize").await;
    check_page_error_recorder(client).await;
    enter_widget(client, "#openframe").await;
    check_page_error_recorder(client).await;
    sign_in(client, user).await;
    browser
}

/// What the current frame says of itself: whether it is a secure context, its protocol, and
/// every resource it loaded that did not come over https.
async fn security_of_frame(client: &Client) -> (bool, String, Vec<String>) {
    let script = "return [window.isSecureContext, location.protocol,
                  performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith('https:'))]";
    let value = client.execute(script, vec![]).await.expect("read the frame's security");
    let insecure = value[2].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    (value[0].as_bool().unwrap_or(false), value[1].as_str().unwrap_or_default().to_owned(), insecure)
}

/// In the top page and in the widget's frame: a secure context on https, nothing loaded over
/// anything else, no CSP violation and no page error. Leaves the client in the widget's frame.
async fn all_secure(client: &Client, who: &str) {
    client.enter_parent_frame().await.expect("back to the top page");
    for frame in ["ServiceNow's page", "the widget"] {
        let (secure, protocol, insecure) = security_of_frame(client).await;
        assert!(secure, "{who}: {frame} is not a secure context");
        assert_eq!(protocol, "https:", "{who}: {frame}'s protocol");
        assert_eq!(insecure, Vec::<String>::new(), "{who}: {frame} loaded these over plain http");
        assert_eq!(csp_violations(client).await, Vec::<String>::new(), "{who}: {frame}'s CSP violations");
        assert_eq!(page_errors(client).await, Vec::<String>::new(), "{who}: {frame}'s page errors");
        enter_widget(client, "#openframe").await;
    }
}

#[tokio::test]
async fn two_agents_inside_servicenow_over_https_and_wss_talk_both_ways_in_secure_contexts() {
    let tls = LabTls::from_env();
    let server = devserver_over_https(&tls).await;
    assert!(server.servicenow.starts_with("https://127.0.0.1:"), "{}", server.servicenow);
    let a = agent_in_servicenow(&tls, &server.servicenow, "1035").await;
    let b = agent_in_servicenow(&tls, &server.servicenow, "1036").await;
    all_secure(&a.client, "1035").await;
    dial_and_answer(&a.client, &b.client, "1036").await;
    hears(&a.client, "1035").await;
    hears(&b.client, "1036").await;
    hang_up(&a.client, &b.client).await;
    all_secure(&a.client, "1035").await;
    all_secure(&b.client, "1036").await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_ws_server_configured_for_an_https_page_is_refused_with_the_reason_before_anything_connects() {
    let tls = LabTls::from_env();
    let server = devserver_over_https(&tls).await;
    // A stand-in SIP server that counts connections: the phone must not try it.
    let recorder = Recorder::start("").await;
    let ws = recorder.origin.replacen("http://", "ws://", 1);
    server.amend_config(serde_json::json!({ "sip": { "servers": [ws] } }));
    let browser = Browser::start_trusting(&tls.ca).await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.widget)).await.expect("open the pop-out view");
    wait_for_role(client, "heading", "The phone's configuration has problems", PATIENCE)
        .await
        .expect("the configuration's problems are shown");
    let alert = client.find(Locator::Css("[role=alert]")).await.expect("the alert").text().await.expect("its text");
    let expected = format!(
        "sip.servers[0]: \"{ws}\" is not encrypted and this page is served over https: use wss:// (browsers refuse \
         ws:// from https pages, and the agent's password would cross the network in the clear)"
    );
    assert!(alert.contains(&expected), "the alert says {alert:?}");
    assert!(by_role(client, "textbox", "Username").await.is_err(), "the sign-in form must not appear");
    // Give a stray connection time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(recorder.hits(), 0, "the phone connected to the ws:// server");
    browser.close().await;
}
