//! Single sign-on in the browser with a real identity provider: the lab's pysaml2 IdP
//! (`lab/idp/idp.py`) on loopback, the integration service as the SAML service provider, and the
//! widget with `service.callCredentials`, inside the ServiceNow emulator's OpenFrame panel and in
//! the pop-out. The agent's Sign in opens the service's window, whose
//! "Sign in with single sign-on" goes to the IdP's form; the IdP posts its signed response to
//! the service, whose page tells the phone, which claims its token and registers with minted
//! SIP credentials (Kamailio `auth_ephemeral`). A known agent and one created just in time from
//! the template then talk with audio both ways; with just-in-time provisioning off, at an IdP
//! whose pages sever `window.opener`, an unknown person is refused and the phone, polling, says
//! why. Needs the Kamailio lab; agents 1084–1086.

mod integration_service;

use std::time::{Duration, Instant};

use e2e::{
    Browser, PATIENCE, by_role, devserver, dial_and_answer, enter_widget, eventually, hang_up, hears, wait_for_role,
    wait_for_status, watch_peer_connections,
};
use fantoccini::{Client, Locator};
use integration_service::{AdminApi, LabIdp, TestService, lab_secret};
use serde_json::json;

/// Where the phone runs: a page, and the frame holding the widget in it (none: the pop-out).
struct View<'a> {
    page: &'a str,
    frame: Option<&'a str>,
}

impl View<'_> {
    /// Back in the phone's page (and frame).
    async fn enter(&self, client: &Client) {
        if let Some(frame) = self.frame {
            enter_widget(client, frame).await;
        }
    }
}

/// Clicks Sign in in the widget, then single sign-on in the service's window, and signs in at
/// the IdP's form as `username`; returns, in the widget, once the form is sent, with the time
/// from the click without the typing at the IdP.
async fn sign_in_with_sso(client: &Client, view: &View<'_>, username: &str, password: &str) -> Duration {
    client.goto(view.page).await.expect("open the view");
    view.enter(client).await;
    let phone = client.window().await.expect("the agent's window");
    let button = wait_for_role(client, "button", "Sign in", PATIENCE).await.expect("the Sign in button");
    button.click().await.unwrap();
    let clicked = Instant::now();
    let popup = eventually("the service's sign-in window", || async {
        client.windows().await.ok()?.into_iter().find(|w| *w != phone)
    })
    .await;
    client.switch_to_window(popup).await.unwrap();
    wait_for_role(client, "link", "Sign in with single sign-on", PATIENCE)
        .await
        .expect("the SSO link")
        .click()
        .await
        .unwrap();
    wait_for_role(client, "heading", "Local IdP sign-in", PATIENCE).await.expect("the IdP's form");
    let typing = Instant::now();
    by_role(client, "textbox", "Username").await.unwrap().send_keys(username).await.unwrap();
    client.find(Locator::Css("input[type=password]")).await.unwrap().send_keys(password).await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    let typed = typing.elapsed();
    client.switch_to_window(phone).await.unwrap();
    view.enter(client).await;
    clicked.elapsed().saturating_sub(typed)
}

/// The service for the widget at `server`: agents agent.sso (SIP user 1084) and template.agent
/// (1086), SIP credentials with the lab's secret.
async fn service_with_sso(server: &devserver::Running) -> (TestService, AdminApi) {
    let service = TestService::start(vec![server.widget.clone()], None).await;
    let admin = service.first_admin().await;
    for (username, sip_user) in [("agent.sso", "1084"), ("template.agent", "1086")] {
        let person = json!({"username": username, "role": "agent", "sipUser": sip_user});
        admin.call(reqwest::Method::POST, "/api/people", Some(person)).await;
    }
    let sip = json!({"secret": lab_secret("lab/sip-ephemeral.txt"), "hash": "sha256", "ttlSeconds": 600});
    admin.call(reqwest::Method::PUT, "/api/tenant/call-credentials/sip", Some(sip)).await;
    (service, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_sign_in_at_the_identity_provider_and_register_without_a_sip_password() {
    let server = devserver().await;
    let (service, admin) = service_with_sso(&server).await;
    let metadata = format!("{}/sso/default/agents/metadata", service.url());
    let idp = LabIdp::start(&metadata, false).await;
    let settings = idp.settings("default_agents_sso", true, Some("template.agent"));
    admin.call(reqwest::Method::PUT, "/api/tenant/sso/agents", Some(settings)).await;
    server.amend_config(json!({"service": {"url": service.url(), "callCredentials": true}}));

    // A known agent inside ServiceNow and a newcomer in the pop-out, created from the template at
    // the first sign-in.
    let a = Browser::start().await;
    let b = Browser::start().await;
    let servicenow = View { page: &format!("{}/", server.servicenow), frame: Some("#openframe") };
    let pop_out = View { page: &format!("{}/", server.widget), frame: None };
    let mut figures = Vec::new();
    for (browser, view, username, password, sip_user) in
        [(&a, &servicenow, "agent.sso", "idp-agent-pw", "1084"), (&b, &pop_out, "jit.newcomer", "idp-jit-pw", "1085")]
    {
        watch_peer_connections(&browser.client).await;
        let clicking = sign_in_with_sso(&browser.client, view, username, password).await;
        let started = Instant::now();
        wait_for_status(&browser.client, &format!("Registered as {sip_user}")).await;
        figures.push(clicking + started.elapsed());
    }
    println!("sign in with SSO → registered, typing at the IdP left out: {figures:?}");
    // Inside ServiceNow the same sign-in authorised the CRM: no Authorise to click.
    assert!(by_role(&a.client, "button", "Authorise").await.is_err(), "the CRM is authorised by the same sign-in");
    let people = admin.call(reqwest::Method::GET, "/api/people", None).await;
    let kenji =
        people.as_array().into_iter().flatten().find(|p| p["username"] == "jit.newcomer").cloned().unwrap_or_default();
    assert_eq!(
        (kenji["displayName"].as_str(), kenji["sipUser"].as_str()),
        (Some("Kenji Sato"), Some("1085")),
        "{people}"
    );
    dial_and_answer(&a.client, &b.client, "1085").await;
    hears(&a.client, "1084").await;
    hears(&b.client, "1085").await;
    hang_up(&a.client, &b.client).await;
    a.close().await;
    b.close().await;

    // Just-in-time provisioning off, at an IdP whose pages sever window.opener (as Entra's
    // Cross-Origin-Opener-Policy does): a person the service does not know is refused, and the
    // phone, polling, says why instead of waiting.
    let severing = LabIdp::start(&metadata, true).await;
    let settings = severing.settings("default_agents_sso", false, Some("template.agent"));
    admin.call(reqwest::Method::PUT, "/api/tenant/sso/agents", Some(settings)).await;
    let c = Browser::start().await;
    sign_in_with_sso(&c.client, &pop_out, "admin.sso", "idp-admin-pw").await;
    eventually("the phone to say why", || async {
        let alert = by_role(&c.client, "alert", "").await.ok()?.text().await.ok()?;
        alert.contains("just-in-time provisioning is off").then_some(())
    })
    .await;
    for action in ["sso.sign-in", "person.jit-create", "sso.refused", "credentials.issue"] {
        assert!(!admin.audited(action).await.is_empty(), "{action} audited");
    }
    c.close().await;
    drop(service);
}
