//! The integration service's admin UI in headless Chromium, found by role and name: the first
//! administrator from the setup token, a ServiceNow account on the emulator created (a wrong URL
//! refused with its field named), Request refresh token (a wrong password refused, then the
//! right one), Test connection, edit, delete; a person added; the audit log; no CSP violation
//! and no secret in the page.

mod integration_service;

use e2e::{Browser, PATIENCE, by_role, csp_violations, eventually, record_csp_violations, screenshot, wait_for_role};
use fantoccini::Client;
use integration_service::{ADMIN_PASSWORD, TestService, admin_dist};

async fn type_into(client: &Client, label: &str, text: &str) {
    let field = by_role(client, "textbox", label).await.unwrap_or_else(|e| panic!("{e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn click(client: &Client, role: &str, name: &str) {
    wait_for_role(client, role, name, PATIENCE).await.unwrap_or_else(|e| panic!("{e}")).click().await.expect("click");
}

/// The text of the page's status region, once it contains `expected`.
async fn status_saying(client: &Client, expected: &str) -> String {
    eventually(&format!("the status saying {expected:?}"), || async {
        let status = client.find(fantoccini::Locator::Css("[role=status]")).await.ok()?;
        let text = status.text().await.ok()?;
        text.contains(expected).then_some(text)
    })
    .await
}

async fn alert_saying(client: &Client, expected: &str) -> String {
    eventually(&format!("an alert saying {expected:?}"), || async {
        for alert in client.find_all(fantoccini::Locator::Css("[role=alert]")).await.ok()? {
            let text = alert.text().await.ok()?;
            if text.contains(expected) {
                return Some(text);
            }
        }
        None
    })
    .await
}

/// The service with the admin UI, on a fresh SQLite file.
async fn start_service() -> TestService {
    TestService::start(Vec::new(), Some(admin_dist())).await
}

/// Opens the admin UI and creates the first administrator with the setup token.
async fn first_admin(client: &Client, running: &service::Running) {
    let setup_token = running.setup_token.clone().expect("a setup token");
    client.goto(&format!("{}/", running.url)).await.expect("open the service");
    wait_for_role(client, "checkbox", "First start: I have the setup token the service printed", PATIENCE)
        .await
        .expect("the form")
        .click()
        .await
        .expect("check");
    type_into(client, "Setup token", &setup_token).await;
    type_into(client, "Username", "root").await;
    type_into(client, "Password", ADMIN_PASSWORD).await;
    click(client, "button", "Create and sign in").await;
    if let Err(missing) = wait_for_role(client, "tab", "Integration accounts", PATIENCE).await {
        let page = match client.find(fantoccini::Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        panic!("not signed in: {missing}; the page says: {page}");
    }
}

/// Adds the ServiceNow account `name` on the emulator's instance.
async fn add_servicenow_account(client: &Client, name: &str, instance: &str) {
    click(client, "button", "Add ServiceNow account").await;
    wait_for_role(client, "heading", "Add a ServiceNow account", PATIENCE).await.expect("the form");
    type_into(client, "Name", name).await;
    type_into(client, "Instance URL", instance).await;
    type_into(client, "Client ID", devserver::SERVICENOW_SERVICE_CLIENT_ID).await;
    type_into(client, "Client secret", devserver::SERVICENOW_SERVICE_CLIENT_SECRET).await;
    click(client, "button", "Save").await;
    wait_for_role(client, "button", &format!("Test connection of {name}"), PATIENCE)
        .await
        .expect("the account is listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_manages_a_servicenow_account_in_the_admin_ui() {
    let emulators = devserver::start(devserver::Options::ephemeral(std::env::temp_dir())).await.expect("emulators");
    let service = start_service().await;
    let running = &service.running;
    let browser = Browser::start().await;
    let client = &browser.client;
    record_csp_violations(client).await;
    first_admin(client, running).await;

    // A ServiceNow account: a wrong URL is refused naming its field, then it is saved.
    click(client, "button", "Add ServiceNow account").await;
    wait_for_role(client, "heading", "Add a ServiceNow account", PATIENCE).await.expect("the form");
    type_into(client, "Name", "Acme").await;
    type_into(client, "Instance URL", "http://acme.service-now.com").await;
    type_into(client, "Client ID", devserver::SERVICENOW_SERVICE_CLIENT_ID).await;
    type_into(client, "Client secret", devserver::SERVICENOW_SERVICE_CLIENT_SECRET).await;
    click(client, "button", "Save").await;
    let refused = alert_saying(client, "settings.instanceUrl").await;
    assert!(refused.contains("https://"), "{refused}");
    let url_box = by_role(client, "textbox", "Instance URL").await.expect("the URL box");
    assert_eq!(url_box.attr("aria-invalid").await.expect("attr").as_deref(), Some("true"), "the field is marked");
    type_into(client, "Instance URL", &emulators.servicenow).await;
    click(client, "button", "Save").await;
    wait_for_role(client, "button", "Test connection of Acme", PATIENCE).await.expect("the account is listed");

    // Test connection before the refresh token says what to do.
    click(client, "button", "Test connection of Acme").await;
    status_saying(client, "choose Request refresh token").await;

    // Request refresh token: a wrong password, then the right one.
    let (instance_user, instance_password) = devserver::SERVICENOW_INSTANCE_ADMIN;
    click(client, "button", "Request refresh token for Acme").await;
    type_into(client, "ServiceNow username", instance_user).await;
    type_into(client, "ServiceNow password", "wrong").await;
    click(client, "button", "Request").await;
    alert_saying(client, "check the client id and client secret").await;
    type_into(client, "ServiceNow password", instance_password).await;
    click(client, "button", "Request").await;
    status_saying(client, "Refresh token received").await;
    click(client, "button", "Test connection of Acme").await;
    let report = status_saying(client, "Acme: Connection is valid").await;
    assert!(report.contains("Table sys_user") && report.contains("sn_openframe_phone_log"), "{report}");
    screenshot(client, "admin-accounts").await;

    // Edit: the secret shows as set, never its value; a new name is saved.
    click(client, "button", "Edit Acme").await;
    let secret = wait_for_role(client, "textbox", "Client secret", PATIENCE).await.expect("the secret box");
    let placeholder = secret.attr("placeholder").await.expect("attr").unwrap_or_default();
    assert!(placeholder.starts_with("•••••••• set "), "{placeholder}");
    assert_eq!(secret.prop("value").await.expect("value").unwrap_or_default(), "", "a secret is never filled in");
    type_into(client, "Name", "Acme Production").await;
    click(client, "button", "Save").await;
    wait_for_role(client, "button", "Edit Acme Production", PATIENCE).await.expect("renamed");
    let page = client.source().await.expect("source");
    assert!(
        !page.contains(devserver::SERVICENOW_SERVICE_CLIENT_SECRET) && !page.contains(instance_password),
        "no secret in the page"
    );

    // Delete, confirmed.
    click(client, "button", "Delete Acme Production").await;
    wait_for_role(client, "alertdialog", "Delete Acme Production?", PATIENCE).await.expect("asks first");
    click(client, "button", "Delete account").await;
    eventually("the account gone", || async {
        by_role(client, "button", "Edit Acme Production").await.is_err().then_some(())
    })
    .await;

    // A person, and the audit log of it all.
    click(client, "tab", "People").await;
    type_into(client, "Username", "ana").await;
    type_into(client, "Display name", "Ana Díaz").await;
    type_into(client, "SIP user", "1001").await;
    type_into(client, "Password", "ana's long password").await;
    click(client, "button", "Add person").await;
    wait_for_role(client, "button", "Delete ana", PATIENCE).await.expect("ana is listed");
    // Ana's phone hands over a call's log while no account is the default: the Call logs tab
    // shows it waiting, with the reason.
    let handed = client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             const json = { 'content-type': 'application/json' };\
             fetch('/api/agent/session', { method: 'POST', headers: json, body: JSON.stringify({ username: 'ana', password: \"ana's long password\" }) })\
               .then(r => r.json())\
               .then(s => fetch('/api/call-logs', { method: 'POST', headers: { ...json, authorization: 'Bearer ' + s.accessToken },\
                 body: JSON.stringify({ kind: 'servicenow', log: { call_id: 'c1@pc33', agent: '1001', direction: 'Inbound', number: '+14155550131',\
                   party: 'Lena Park', started: 1765000000000, seconds: 42, outcome: 'Answered', disposition: null, notes: '', record: null } }) }))\
               .then(r => done(r.status), e => done(String(e)));",
            vec![],
        )
        .await
        .expect("hand a log over");
    assert_eq!(handed, serde_json::json!(202));
    click(client, "tab", "Call logs").await;
    eventually("the waiting log", || async {
        let text = client.find(fantoccini::Locator::Css("main")).await.ok()?.text().await.ok()?;
        (text.contains("c1@pc33")
            && text.contains("Waiting")
            && text.contains("no default servicenow integration account"))
        .then_some(())
    })
    .await;

    // The tenant's widget configuration: what the widget would refuse is listed by key, then a
    // good one is saved and served as written.
    click(client, "tab", "Widget configuration").await;
    wait_for_role(client, "heading", "Widget configuration", PATIENCE).await.expect("the tab");
    let bad = r#"{"sip": {"domain": "acme.example", "servers": ["http://pbx.acme.example"]}, "hosts": {"allowedOrigins": ["https://acme.service-now.com"]}}"#;
    type_into(client, "framephone.json", bad).await;
    click(client, "button", "Save configuration").await;
    let refused = alert_saying(client, "sip.servers[0]").await;
    assert!(refused.contains("The widget would refuse this configuration"), "{refused}");
    let invalid = by_role(client, "textbox", "framephone.json").await.expect("the box");
    assert_eq!(invalid.attr("aria-invalid").await.ok().flatten().as_deref(), Some("true"));
    let good = bad.replace("http://", "wss://");
    type_into(client, "framephone.json", &good).await;
    click(client, "button", "Save configuration").await;
    let saved = status_saying(client, "Saved").await;
    assert!(saved.contains("/t/default/framephone.json"), "{saved}");
    let served = reqwest::get(format!("{}/t/default/framephone.json", running.url)).await.expect("served");
    assert_eq!(served.text().await.expect("text"), good, "served as written");

    // The phone's origins: a plain-http one is refused naming it, an https one saved.
    type_into(client, "Phone origins", "http://phone.acme.example").await;
    click(client, "button", "Save origins").await;
    let refused = alert_saying(client, "origins[0]").await;
    assert!(refused.contains("https://"), "{refused}");
    type_into(client, "Phone origins", "https://phone.acme.example/").await;
    click(client, "button", "Save origins").await;
    status_saying(client, "Saved: 1 phone origin(s).").await;
    let box_text = by_role(client, "textbox", "Phone origins").await.expect("the box").prop("value").await;
    assert_eq!(box_text.ok().flatten().as_deref(), Some("https://phone.acme.example"), "shown as saved");

    click(client, "tab", "Audit log").await;
    eventually("the audit lines", || async {
        let text = client.find(fantoccini::Locator::Css("main")).await.ok()?.text().await.ok()?;
        [
            "account.create",
            "account.refresh-token",
            "account.update",
            "account.delete",
            "person.create",
            "tenant.widget-config",
            "tenant.widget-origins",
        ]
        .iter()
        .all(|action| text.contains(action))
        .then_some(())
    })
    .await;
    assert_eq!(csp_violations(client).await, Vec::<String>::new());

    // Sign out ends the session.
    click(client, "button", "Sign out").await;
    wait_for_role(client, "button", "Sign in", PATIENCE).await.expect("signed out");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_refuses_the_password_grant_is_signed_in_through_a_popup() {
    let emulators = devserver::start(devserver::Options::ephemeral(std::env::temp_dir())).await.expect("emulators");
    let instance = emulators.servicenow_instance();
    instance.set_password_grant(false);
    let service = start_service().await;
    let running = &service.running;
    instance.set_service_redirect_uri(&format!("{}/oauth/callback", running.url));
    let browser = Browser::start().await;
    let client = &browser.client;
    first_admin(client, running).await;
    add_servicenow_account(client, "Hardened", &emulators.servicenow).await;

    // The password grant is refused, and the admin is told the other way.
    let (instance_user, instance_password) = devserver::SERVICENOW_INSTANCE_ADMIN;
    click(client, "button", "Request refresh token for Hardened").await;
    type_into(client, "ServiceNow username", instance_user).await;
    type_into(client, "ServiceNow password", instance_password).await;
    click(client, "button", "Request").await;
    alert_saying(client, "use Sign in with ServiceNow instead").await;
    click(client, "button", "Cancel").await;

    // Sign in with ServiceNow: the instance's consent page in a popup, Allow, back.
    let main = client.window().await.expect("the admin window");
    click(client, "button", "Sign in with ServiceNow for Hardened").await;
    let popup =
        eventually("the sign-in window", || async { client.windows().await.ok()?.into_iter().find(|w| *w != main) })
            .await;
    client.switch_to_window(popup).await.expect("to the popup");
    wait_for_role(client, "button", "Allow", PATIENCE).await.expect("the consent page").click().await.expect("Allow");
    client.switch_to_window(main).await.expect("back to the admin page");
    status_saying(client, "Signed in: the refresh token is stored").await;
    eventually("the popup closed by itself", || async { (client.windows().await.ok()?.len() == 1).then_some(()) })
        .await;
    click(client, "button", "Test connection of Hardened").await;
    status_saying(client, "Hardened: Connection is valid").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesforce_credential_made_in_stages_gets_its_token_in_a_popup_and_shows_its_limits() {
    let emulators = devserver::start(devserver::Options::ephemeral(std::env::temp_dir())).await.expect("emulators");
    let org = emulators.salesforce_org();
    let service = start_service().await;
    let running = &service.running;
    org.set_connected_app_redirect_uri(&format!("{}/oauth/callback", running.url));
    let browser = Browser::start().await;
    let client = &browser.client;
    first_admin(client, running).await;

    // Create integration credential, stage by stage; a stage left unfinished says why.
    click(client, "button", "Create integration credential").await;
    wait_for_role(client, "heading", "Stage 1: Name the credential", PATIENCE).await.expect("stage 1");
    click(client, "button", "Next").await;
    alert_saying(client, "Enter a name.").await;
    type_into(client, "Name", "Acme org").await;
    click(client, "button", "Next").await;
    wait_for_role(client, "heading", "Stage 2: Select entity type", PATIENCE).await.expect("stage 2");
    let focused = client.active_element().await.expect("focus").text().await.expect("text");
    assert_eq!(focused, "Stage 2: Select entity type", "focus moves to the stage that opens");
    click(client, "button", "Next").await;
    wait_for_role(client, "heading", "Stage 3: Select destination", PATIENCE).await.expect("stage 3");
    click(client, "button", "Next").await;
    alert_saying(client, "Select a destination.").await;
    by_role(client, "combobox", "Destination")
        .await
        .expect("the list")
        .select_by_value("salesforce")
        .await
        .expect("Salesforce");
    click(client, "button", "Next").await;
    wait_for_role(client, "heading", "Stage 4: Authenticate", PATIENCE).await.expect("stage 4");
    type_into(client, "My Domain (subdomain or URL)", &emulators.salesforce).await;
    type_into(client, "Consumer key", devserver::SALESFORCE_CONSUMER_KEY).await;
    type_into(client, "Consumer secret", devserver::SALESFORCE_CONSUMER_SECRET).await;
    click(client, "button", "Create credential").await;
    wait_for_role(client, "button", "Check limits of Acme org", PATIENCE).await.expect("listed");

    let main = client.window().await.expect("the admin window");
    click(client, "button", "Request token for Acme org").await;
    let popup =
        eventually("the sign-in window", || async { client.windows().await.ok()?.into_iter().find(|w| *w != main) })
            .await;
    client.switch_to_window(popup).await.expect("to the popup");
    wait_for_role(client, "button", "Allow", PATIENCE).await.expect("Allow Access?").click().await.expect("Allow");
    client.switch_to_window(main).await.expect("back");
    status_saying(client, "Signed in: the refresh token is stored").await;
    click(client, "button", "Check limits of Acme org").await;
    status_saying(client, "of 15,000 daily API requests used").await;
    click(client, "button", "Test connection of Acme org").await;
    status_saying(client, "Acme org: Connection is valid").await;
    screenshot(client, "admin-salesforce").await;
    browser.close().await;
}
