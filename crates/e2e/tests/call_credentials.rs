//! No SIP password typed and no TURN secret in `framephone.json`: with `service.callCredentials`
//! the agent's Sign in opens the integration service's sign-in window; the service mints
//! short-lived SIP credentials (Kamailio `auth_ephemeral`, the lab's secret of
//! `lab/sip-ephemeral.txt`) and TURN credentials (the lab's coturn with `use-auth-secret`), the
//! phone registers with them, and two agents talk through coturn's relay only
//! (`iceTransportPolicy: "relay"`), audio checked with `getStats` at both ends. Credentials
//! that expire during a call are renewed without the agent noticing. Needs the Kamailio and TURN
//! labs; agents 1082–1083 and 1087–1089. Credentials the SIP server refuses are asked for once
//! more, and then the phone says why.

mod integration_service;

use e2e::{
    Browser, LocalCandidate, PATIENCE, TurnLab, by_role, devserver, dial_and_answer, eventually, hang_up, hears,
    selected_local_candidate, wait_for_role, wait_for_status, watch_peer_connections,
};
use fantoccini::{Client, Locator};
use integration_service::{AdminApi, TestService, lab_secret};
use serde_json::json;

/// The lab's `auth_ephemeral` secret.
fn sip_secret() -> String {
    lab_secret("lab/sip-ephemeral.txt")
}

/// The agent's password at the service.
fn agent_password(sip_user: &str) -> String {
    format!("agent {sip_user}'s long service password")
}

/// Opens the widget, clicks Sign in and signs in as `username` (SIP user `sip_user`) in the
/// service's window.
async fn sign_in_at_the_service(client: &Client, widget: &str, service_url: &str, username: &str, sip_user: &str) {
    client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    let phone = client.window().await.expect("the agent's window");
    assert!(by_role(client, "textbox", "Password").await.is_err(), "no SIP password is asked for");
    wait_for_role(client, "button", "Sign in", PATIENCE).await.expect("the Sign in button").click().await.unwrap();
    let popup = eventually("the service's sign-in window", || async {
        client.windows().await.ok()?.into_iter().find(|w| *w != phone)
    })
    .await;
    client.switch_to_window(popup).await.unwrap();
    wait_for_role(client, "heading", "Sign in to the phone", PATIENCE).await.expect("the sign-in page");
    assert!(client.current_url().await.unwrap().as_str().starts_with(service_url), "the service's own page");
    by_role(client, "textbox", "Username").await.unwrap().send_keys(username).await.unwrap();
    let password = client.find(Locator::Css("input[type=password]")).await.unwrap();
    password.send_keys(&agent_password(sip_user)).await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    eventually("the sign-in window to close", || async { (client.windows().await.ok()?.len() == 1).then_some(()) })
        .await;
    client.switch_to_window(phone).await.unwrap();
}

async fn relayed(client: &Client, who: &str) {
    let chosen = eventually(&format!("{who}'s call to choose a candidate pair"), || async {
        selected_local_candidate(client).await
    })
    .await;
    let relay = LocalCandidate { candidate_type: "relay".into(), relay_protocol: "udp".into() };
    assert_eq!(chosen, relay, "{who} sends through coturn's relay");
}

/// The service for the widget at `server`, with agents `sip_users` (usernames `agent<user>`)
/// and SIP credentials lasting `ttl_seconds` (and TURN credentials when `turn` is given).
async fn service_minting(
    server: &devserver::Running,
    sip_users: &[&str],
    ttl_seconds: u32,
    turn: Option<&TurnLab>,
) -> (TestService, AdminApi) {
    service_minting_with(server, sip_users, ttl_seconds, turn, &sip_secret()).await
}

/// [`service_minting`] with `secret` as the SIP secret.
async fn service_minting_with(
    server: &devserver::Running,
    sip_users: &[&str],
    ttl_seconds: u32,
    turn: Option<&TurnLab>,
    secret: &str,
) -> (TestService, AdminApi) {
    let service = TestService::start(vec![server.widget.clone()], None).await;
    let admin = service.first_admin().await;
    for sip_user in sip_users {
        let person = json!({"username": format!("agent{sip_user}"), "role": "agent", "sipUser": sip_user, "password": agent_password(sip_user)});
        admin.call(reqwest::Method::POST, "/api/people", Some(person)).await;
    }
    let sip = json!({"secret": secret, "hash": "sha256", "ttlSeconds": ttl_seconds});
    admin.call(reqwest::Method::PUT, "/api/tenant/call-credentials/sip", Some(sip)).await;
    if let Some(turn) = turn {
        let settings = json!({"secret": turn.secret, "hash": "sha1", "ttlSeconds": 3600,
                              "urls": [format!("turn:127.0.0.1:{}", turn.secret_port)]});
        admin.call(reqwest::Method::PUT, "/api/tenant/call-credentials/turn", Some(settings)).await;
    }
    (service, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_signed_in_at_the_service_register_with_minted_credentials_and_talk_through_the_relay() {
    let server = devserver().await;
    let turn = TurnLab::from_env();
    let (service, admin) = service_minting(&server, &["1082", "1083"], 600, Some(&turn)).await;
    let url = service.url().to_owned();
    // The widget's configuration: the service, no TURN server of its own, relay only.
    server.amend_config(json!({"service": {"url": url, "callCredentials": true},
                               "ice": {"servers": [], "transportPolicy": "relay"}}));

    let a = Browser::start().await;
    let b = Browser::start().await;
    for (browser, sip_user) in [(&a, "1082"), (&b, "1083")] {
        watch_peer_connections(&browser.client).await;
        sign_in_at_the_service(&browser.client, &server.widget, &url, &format!("agent{sip_user}"), sip_user).await;
        wait_for_status(&browser.client, &format!("Registered as {sip_user}")).await;
    }
    dial_and_answer(&a.client, &b.client, "1083").await;
    relayed(&a.client, "1082").await;
    relayed(&b.client, "1083").await;
    hears(&a.client, "1082").await;
    hears(&b.client, "1083").await;
    hang_up(&a.client, &b.client).await;

    // Each credential issue is audited; neither secret reached a page, nor is anything kept.
    let issued = admin.audited("credentials.issue").await;
    assert!(issued.len() >= 2, "{issued:?}");
    for browser in [&a, &b] {
        let page = browser.client.source().await.unwrap();
        assert!(!page.contains(&sip_secret()) && !page.contains(&turn.secret), "no shared secret in the widget");
        let stored = browser
            .client
            .execute("return JSON.stringify(Object.assign({}, localStorage, sessionStorage))", vec![])
            .await
            .unwrap();
        assert!(!stored.as_str().unwrap_or_default().contains(":108"), "no minted credentials stored: {stored}");
    }
    a.close().await;
    b.close().await;
    drop(service);
}

/// Credentials that live a minute: the phone renews them half-way, during a call that outlasts
/// them, without the agent noticing (the call's audio goes on, the phone stays registered), and
/// a call placed after the first credentials expired is authenticated with the renewed ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_that_expire_during_a_call_are_renewed_without_the_agent_noticing() {
    let server = devserver().await;
    let (service, admin) = service_minting(&server, &["1087", "1088"], 60, None).await;
    let url = service.url().to_owned();
    server.amend_config(json!({"service": {"url": url, "callCredentials": true}}));
    let a = Browser::start().await;
    let b = Browser::start().await;
    for (browser, sip_user) in [(&a, "1087"), (&b, "1088")] {
        watch_peer_connections(&browser.client).await;
        sign_in_at_the_service(&browser.client, &server.widget, &url, &format!("agent{sip_user}"), sip_user).await;
        wait_for_status(&browser.client, &format!("Registered as {sip_user}")).await;
    }
    let signed_in = std::time::Instant::now();
    dial_and_answer(&a.client, &b.client, "1088").await;
    // Past the first credentials' minute, still talking.
    while signed_in.elapsed() < std::time::Duration::from_secs(65) {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        wait_for_status(&a.client, "Registered as 1087").await;
    }
    hears(&a.client, "1087").await;
    hears(&b.client, "1088").await;
    let renewals = admin.audited("credentials.issue").await;
    let for_a = renewals.iter().filter(|l| l["actor"] == "agent1087").count();
    assert!(for_a >= 2, "1087's credentials were renewed: {renewals:?}");
    hang_up(&a.client, &b.client).await;
    // A new call (its INVITE challenged and answered with the renewed credentials).
    dial_and_answer(&a.client, &b.client, "1088").await;
    hang_up(&a.client, &b.client).await;
    a.close().await;
    b.close().await;
    drop(service);
}

/// A service whose secret Kamailio does not share: the refused credentials are asked for once
/// more (not retried), and when the new ones are refused too the phone stops and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_the_sip_server_refuses_are_asked_for_once_more_then_the_phone_says_why() {
    let server = devserver().await;
    let (service, admin) = service_minting_with(&server, &["1089"], 600, None, "a-secret-kamailio-does-not-know").await;
    let url = service.url().to_owned();
    server.amend_config(json!({"service": {"url": url, "callCredentials": true}}));
    let a = Browser::start().await;
    sign_in_at_the_service(&a.client, &server.widget, &url, "agent1089", "1089").await;
    eventually("the phone to say why", || async {
        let alert = by_role(&a.client, "alert", "").await.ok()?.text().await.ok()?;
        alert.contains("refuses the credentials the integration service mints").then_some(())
    })
    .await;
    let issued = admin.audited("credentials.issue").await;
    assert_eq!(issued.len(), 2, "asked once more, not retried: {issued:?}");
    a.close().await;
    drop(service);
}
