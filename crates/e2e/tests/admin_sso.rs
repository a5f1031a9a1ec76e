//! The admin UI's Single sign-on and Call credentials tabs in headless Chromium, found by role
//! and name, and an administrator's sign-in through single sign-on: the agents' settings saved
//! with a certificate uploaded from a file, shown by its fingerprint with a warning that it
//! expires in 10 days; a refusal shown with its field marked and focused; a SIP secret saved and
//! shown as set, never echoed; and, at the lab's pysaml2 IdP (`lab/idp/idp.py`), the
//! administrators' settings saved in the UI, a Test sign-in, and a sign-in from the sign-in
//! screen's "Sign in with single sign-on" in a fresh browser.

mod integration_service;

use std::path::{Path, PathBuf};

use e2e::{Browser, PATIENCE, by_role, csp_violations, eventually, record_csp_violations, screenshot, wait_for_role};
use fantoccini::{Client, Locator};
use integration_service::{ADMIN_PASSWORD, AdminApi, LabIdp, TempDir, TestService, admin_dist};
use serde_json::{Value, json};

/// The service with the admin UI, on a fresh SQLite file.
async fn start_service() -> TestService {
    TestService::start(Vec::new(), Some(admin_dist())).await
}

async fn type_into(client: &Client, label: &str, text: &str) {
    let field = wait_for_role(client, "textbox", label, PATIENCE).await.unwrap_or_else(|e| panic!("{e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn click(client: &Client, role: &str, name: &str) {
    wait_for_role(client, role, name, PATIENCE).await.unwrap_or_else(|e| panic!("{e}")).click().await.expect("click");
}

async fn value_of(client: &Client, role: &str, name: &str) -> String {
    let element = wait_for_role(client, role, name, PATIENCE).await.unwrap_or_else(|e| panic!("{e}"));
    element.prop("value").await.expect("value").unwrap_or_default()
}

async fn attribute_of(client: &Client, role: &str, name: &str, attribute: &str) -> Option<String> {
    let element = wait_for_role(client, role, name, PATIENCE).await.unwrap_or_else(|e| panic!("{e}"));
    element.attr(attribute).await.expect("attribute")
}

/// The text of the first element matching `css` that contains `expected`.
async fn text_of(client: &Client, css: &str, expected: &str) -> String {
    eventually(&format!("{css} saying {expected:?}"), || async {
        for element in client.find_all(Locator::Css(css)).await.ok()? {
            let text = element.text().await.ok()?;
            if text.contains(expected) {
                return Some(text);
            }
        }
        None
    })
    .await
}

async fn status_saying(client: &Client, expected: &str) -> String {
    text_of(client, "[role=status]", expected).await
}

async fn alert_saying(client: &Client, expected: &str) -> String {
    text_of(client, "[role=alert]", expected).await
}

/// The file input labelled `name` (Chromium gives it no role the by-role helpers look for).
async fn file_input(client: &Client, name: &str) -> fantoccini::elements::Element {
    let labelled = format!("//input[@type='file'][@id=//label[normalize-space()='{name}']/@for]");
    eventually(&format!("the file input {name:?}"), || async { client.find(Locator::XPath(&labelled)).await.ok() })
        .await
}

/// Opens the admin UI and creates the first administrator, root, with the setup token.
async fn first_admin(client: &Client, running: &service::Running) {
    let setup_token = running.setup_token.clone().expect("a setup token");
    client.goto(&format!("{}/", running.url)).await.expect("open the service");
    click(client, "checkbox", "First start: I have the setup token the service printed").await;
    type_into(client, "Setup token", &setup_token).await;
    type_into(client, "Username", "root").await;
    type_into(client, "Password", ADMIN_PASSWORD).await;
    click(client, "button", "Create and sign in").await;
    wait_for_role(client, "tab", "Single sign-on", PATIENCE).await.expect("signed in");
}

/// A self-signed certificate valid for `days`, made with openssl in `dir`: its PEM file and
/// its SHA-256 fingerprint as the admin UI shows it.
fn certificate(dir: &Path, common_name: &str, days: u32) -> (PathBuf, String) {
    let (key, pem) = (dir.join("key.pem"), dir.join("idp-signing.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", &format!("/CN={common_name}")])
        .args(["-days", &days.to_string(), "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&pem)
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "openssl req: {}", String::from_utf8_lossy(&made.stderr));
    let printed = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&pem)
        .output()
        .expect("openssl runs");
    let printed = String::from_utf8_lossy(&printed.stdout).into_owned();
    let fingerprint = printed.trim().split_once('=').expect("Fingerprint=…").1.to_ascii_uppercase();
    (pem, fingerprint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_sign_on_settings_are_saved_with_an_uploaded_certificate_and_a_refusal_marks_its_field() {
    let service = start_service().await;
    let running = &service.running;
    let dir = TempDir::new("admin-sso-cert");
    let (pem, fingerprint) = certificate(&dir.0, "idp.acme.test", 10);
    let browser = Browser::start().await;
    let client = &browser.client;
    record_csp_violations(client).await;
    first_admin(client, running).await;

    // The agents' settings, the certificate read from its file.
    click(client, "tab", "Single sign-on").await;
    wait_for_role(client, "heading", "Agents (the phone)", PATIENCE).await.expect("the agents' section");
    wait_for_role(client, "heading", "Administrators (this admin UI)", PATIENCE).await.expect("the admins' section");
    assert_eq!(
        value_of(client, "textbox", "This service's entity ID for agents").await,
        "default_agents_sso",
        "the service's entity id is suggested"
    );
    click(client, "checkbox", "Single sign-on is on for agents").await;
    type_into(client, "Identity provider sign-on URL for agents", "https://login.acme.test/8f2c/saml2").await;
    type_into(client, "Identity provider entity ID (issuer) for agents", "https://sts.acme.test/8f2c/").await;
    let upload = file_input(client, "Upload certificate for agents").await;
    upload.send_keys(&pem.display().to_string()).await.expect("choose the file");
    status_saying(client, "Read idp-signing.pem").await;
    let pasted = value_of(client, "textbox", "Identity provider signing certificate (PEM) for agents").await;
    assert_eq!(pasted.trim(), std::fs::read_to_string(&pem).expect("the PEM").trim(), "the file's text is in the box");
    click(client, "button", "Save for agents").await;
    status_saying(client, "Saved: single sign-on is on for agents.").await;

    // What is saved: the fingerprint, the subject, and the warning of a 10-day certificate.
    let summary = text_of(client, "section", "SHA-256 fingerprint").await;
    assert!(summary.contains(&fingerprint), "{fingerprint} in {summary}");
    assert!(summary.contains("CN=idp.acme.test"), "{summary}");
    screenshot(client, "admin-sso").await;
    let warning = alert_saying(client, "certificate expires in").await;
    assert!(warning.contains("expires in 10 days"), "{warning}");
    let metadata = attribute_of(client, "link", "Download metadata for agents", "href").await.expect("an href");
    assert!(metadata.ends_with("/sso/default/agents/metadata"), "{metadata}");
    let xml = reqwest::get(&metadata).await.expect("the metadata").text().await.expect("text");
    assert!(xml.contains("default_agents_sso") && xml.contains("/sso/default/agents/acs"), "{xml}");
    assert!(
        wait_for_role(client, "button", "Test sign-in for agents", PATIENCE)
            .await
            .expect("Test sign-in")
            .is_enabled()
            .await
            .expect("enabled"),
        "Test sign-in goes once a certificate is saved"
    );

    // Read again when the tab opens again.
    click(client, "tab", "People").await;
    click(client, "tab", "Single sign-on").await;
    let summary = text_of(client, "section", "SHA-256 fingerprint").await;
    assert!(summary.contains(&fingerprint), "{summary}");
    assert_eq!(
        value_of(client, "textbox", "Identity provider sign-on URL for agents").await,
        "https://login.acme.test/8f2c/saml2"
    );

    // The administrators' single sign-on turned on without a certificate: refused, the field
    // marked and focused.
    click(client, "checkbox", "Single sign-on is on for administrators").await;
    type_into(client, "Identity provider sign-on URL for administrators", "https://login.acme.test/8f2c/saml2").await;
    type_into(client, "Identity provider entity ID (issuer) for administrators", "https://sts.acme.test/8f2c/").await;
    click(client, "button", "Save for administrators").await;
    let refused = alert_saying(client, "Identity provider signing certificate (PEM): is required").await;
    assert!(refused.contains("never enabled without"), "{refused}");
    let name = "Identity provider signing certificate (PEM) for administrators";
    assert_eq!(attribute_of(client, "textbox", name, "aria-invalid").await.as_deref(), Some("true"), "marked");
    assert_eq!(
        attribute_of(client, "textbox", "Identity provider signing certificate (PEM) for agents", "aria-invalid")
            .await
            .as_deref(),
        Some("false"),
        "the other scope's field is not"
    );
    let focused = client.active_element().await.expect("focus").attr("id").await.expect("id");
    assert_eq!(focused.as_deref(), Some("fp-sso-admins-idpCertificate"), "the field at fault has the focus");
    screenshot(client, "admin-sso-refused").await;
    assert_eq!(csp_violations(client).await, Vec::<String>::new());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sip_secret_is_saved_and_shown_as_set_without_being_echoed() {
    const SECRET: &str = "kamailio-and-the-service-share-this";
    let service = start_service().await;
    let running = &service.running;
    let browser = Browser::start().await;
    let client = &browser.client;
    record_csp_violations(client).await;
    first_admin(client, running).await;

    click(client, "tab", "Call credentials").await;
    wait_for_role(client, "heading", "SIP credentials (Kamailio auth_ephemeral)", PATIENCE).await.expect("the tab");
    text_of(client, "section", "Off: the service mints no SIP credentials.").await;
    let secret_box = "Shared secret for SIP";
    assert_eq!(attribute_of(client, "textbox", secret_box, "placeholder").await.as_deref(), Some("not set"));

    // A secret the servers' configuration could not hold is refused, naming the field.
    type_into(client, secret_box, "too short").await;
    click(client, "button", "Save SIP settings").await;
    let refused = alert_saying(client, "Shared secret: must be 16 to 256").await;
    assert!(refused.contains("printable ASCII"), "{refused}");
    assert_eq!(attribute_of(client, "textbox", secret_box, "aria-invalid").await.as_deref(), Some("true"));

    by_role(client, "combobox", "Hash for SIP")
        .await
        .expect("the hash")
        .select_by_value("sha256")
        .await
        .expect("sha256");
    let lifetime = by_role(client, "spinbutton", "Lifetime (seconds) for SIP").await.expect("the lifetime");
    lifetime.clear().await.expect("clear");
    lifetime.send_keys("900").await.expect("type");
    type_into(client, secret_box, SECRET).await;
    click(client, "button", "Save SIP settings").await;
    status_saying(client, "Saved: the service mints SIP credentials.").await;
    text_of(client, "section", "On, last saved").await;
    assert_eq!(value_of(client, "textbox", secret_box).await, "", "the box is emptied");
    let placeholder = attribute_of(client, "textbox", secret_box, "placeholder").await.unwrap_or_default();
    assert!(placeholder.contains("set"), "{placeholder}");
    assert!(!client.source().await.expect("source").contains(SECRET), "the secret is not in the page");
    screenshot(client, "admin-call-credentials").await;

    // Read again: set, never filled in.
    click(client, "tab", "People").await;
    click(client, "tab", "Call credentials").await;
    let placeholder = attribute_of(client, "textbox", secret_box, "placeholder").await.unwrap_or_default();
    assert!(placeholder.contains("set; type to replace"), "{placeholder}");
    assert_eq!(value_of(client, "spinbutton", "Lifetime (seconds) for SIP").await, "900");
    assert_eq!(value_of(client, "combobox", "Hash for SIP").await, "sha256");
    assert_eq!(value_of(client, "combobox", "Hash for TURN").await, "sha1", "coturn's only hash");
    assert!(!client.source().await.expect("source").contains(SECRET), "the secret is not in the page");
    let api = AdminApi::sign_in(&running.url).await;
    let set = api.call(reqwest::Method::GET, "/api/tenant/call-credentials", None).await;
    assert_eq!((set["sip"]["hash"].as_str(), set["sip"]["ttlSeconds"].as_u64()), (Some("sha256"), Some(900)), "{set}");

    // Turn off, once confirmed.
    click(client, "button", "Turn off SIP credentials").await;
    wait_for_role(client, "alertdialog", "Turn off SIP credentials?", PATIENCE).await.expect("asks first");
    click(client, "button", "Turn off").await;
    status_saying(client, "Turned off: the service mints no SIP credentials.").await;
    let set = api.call(reqwest::Method::GET, "/api/tenant/call-credentials", None).await;
    assert_eq!(set["sip"], Value::Null, "{set}");
    assert_eq!(csp_violations(client).await, Vec::<String>::new());
    browser.close().await;
}

/// Signs in at the lab IdP's form.
async fn sign_in_at_the_idp(client: &Client, username: &str, password: &str) {
    wait_for_role(client, "heading", "Local IdP sign-in", PATIENCE).await.expect("the IdP's form");
    type_into(client, "Username", username).await;
    client.find(Locator::Css("input[type=password]")).await.expect("Password").send_keys(password).await.unwrap();
    click(client, "button", "Sign in").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_signs_in_to_the_admin_ui_through_single_sign_on() {
    let service = start_service().await;
    let running = &service.running;
    let a = Browser::start().await;
    let client = &a.client;
    first_admin(client, running).await;
    let api = AdminApi::sign_in(&running.url).await;
    let person = json!({"username": "admin.sso", "displayName": "Rosa Lind", "role": "admin"});
    api.call(reqwest::Method::POST, "/api/people", Some(person)).await;
    let idp = LabIdp::start(&format!("{}/sso/default/admins/metadata", running.url), false).await;

    // The administrators' settings, saved in the UI with the IdP's certificate file.
    click(client, "tab", "Single sign-on").await;
    click(client, "checkbox", "Single sign-on is on for administrators").await;
    type_into(client, "Identity provider sign-on URL for administrators", &format!("{}/sso", idp.base)).await;
    type_into(client, "Identity provider entity ID (issuer) for administrators", &format!("{}/metadata", idp.base))
        .await;
    let upload = file_input(client, "Upload certificate for administrators").await;
    upload.send_keys(&idp.certificate.display().to_string()).await.expect("choose the file");
    status_saying(client, "Read idp.crt").await;
    type_into(client, "This service's entity ID for administrators", "default_admins_sso").await;
    click(client, "button", "Save for administrators").await;
    status_saying(client, "Saved: single sign-on is on for administrators.").await;

    // Test sign-in: a window of its own, the IdP, and what the response carried.
    let main = client.window().await.expect("the admin window");
    click(client, "button", "Test sign-in for administrators").await;
    let test =
        eventually("the test window", || async { client.windows().await.ok()?.into_iter().find(|w| *w != main) }).await;
    client.switch_to_window(test).await.expect("to the test window");
    sign_in_at_the_idp(client, "admin.sso", "idp-admin-pw").await;
    wait_for_role(client, "heading", "Test sign-in: verified", PATIENCE).await.expect("verified");
    let result = text_of(client, "main", "NameID").await;
    assert!(result.contains("admin.sso is Rosa Lind"), "{result}");
    client.close_window().await.expect("close the test window");
    client.switch_to_window(main).await.expect("back");

    click(client, "button", "Sign out").await;
    wait_for_role(client, "button", "Sign in", PATIENCE).await.expect("signed out");
    a.close().await;

    // A fresh browser, from the contact center's link to its admin UI.
    let b = Browser::start().await;
    let client = &b.client;
    record_csp_violations(client).await;
    client.goto(&format!("{}/admin/?tenant=default", running.url)).await.expect("open the admin UI");
    assert_eq!(value_of(client, "textbox", "Organization").await, "default", "the organization from the address");
    screenshot(client, "admin-sign-in").await;
    assert_eq!(csp_violations(client).await, Vec::<String>::new());
    click(client, "button", "Sign in with single sign-on").await;
    sign_in_at_the_idp(client, "admin.sso", "idp-admin-pw").await;
    if let Err(missing) = wait_for_role(client, "tab", "Single sign-on", PATIENCE).await {
        let page = client.source().await.unwrap_or_default();
        panic!("not signed in: {missing}; the page: {page}");
    }
    text_of(client, "header", "Signed in as Rosa Lind").await;
    let url = client.current_url().await.expect("url");
    assert_eq!(url.path(), "/admin/", "back in the admin UI");
    let audit = api.call(reqwest::Method::GET, "/api/audit", None).await;
    let actions: Vec<&str> =
        audit["lines"].as_array().into_iter().flatten().filter_map(|l| l["action"].as_str()).collect();
    for action in ["tenant.sso", "sso.test", "sso.sign-in"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
    b.close().await;
}
