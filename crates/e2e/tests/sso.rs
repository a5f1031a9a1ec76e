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

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use e2e::{
    Browser, PATIENCE, by_role, devserver, dial_and_answer, enter_widget, eventually, hang_up, hears, wait_for_role,
    wait_for_status, watch_peer_connections,
};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use service::master_key::Keyring;

const ADMIN_PASSWORD: &str = "the administrator's long password";

fn repository_file(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// The lab's `auth_ephemeral` secret.
fn sip_secret() -> String {
    let text = std::fs::read_to_string(repository_file("lab/sip-ephemeral.txt")).expect("lab/sip-ephemeral.txt");
    text.lines().find_map(|l| l.strip_prefix("secret ")).expect("a secret line").trim().to_owned()
}

/// The lab's identity provider as its own process, trusting the service's metadata.
struct LabIdp {
    _child: tokio::process::Child,
    base: String,
    certificate: String,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl LabIdp {
    /// Starts the IdP; with `coop` its pages send `Cross-Origin-Opener-Policy: same-origin`.
    async fn start(sp_metadata: &str, coop: bool) -> LabIdp {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
        let dir = TempDir(std::env::temp_dir().join(format!("framephone-idp-{}", service::random::id())));
        let child = tokio::process::Command::new("python3")
            .arg(repository_file("lab/idp/idp.py"))
            .args(["--port", &port.to_string(), "--users", &repository_file("lab/idp/users.txt")])
            .arg("--dir")
            .arg(&dir.0)
            .args(["--sp-metadata", sp_metadata])
            .args(coop.then_some("--coop"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs the lab's IdP (package python3-pysaml2)");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        while !reqwest::get(format!("{base}/metadata")).await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the lab's IdP at {base} did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let certificate = std::fs::read_to_string(dir.0.join("idp.crt")).expect("the IdP's certificate");
        LabIdp { _child: child, base, certificate, _dir: dir }
    }
}

struct AdminApi {
    http: reqwest::Client,
    url: String,
    cookie: String,
    csrf: String,
}

impl AdminApi {
    async fn first_admin(url: &str, setup_token: Option<String>) -> AdminApi {
        let http = reqwest::Client::new();
        let setup =
            json!({"setupToken": setup_token.expect("a setup token"), "username": "root", "password": ADMIN_PASSWORD});
        let created = http.post(format!("{url}/api/setup")).json(&setup).send().await.expect("setup");
        assert!(created.status().is_success());
        let credentials = json!({"username": "root", "password": ADMIN_PASSWORD});
        let signed_in = http.post(format!("{url}/api/admin/session")).json(&credentials).send().await.expect("sign in");
        let cookie = signed_in.headers()["set-cookie"].to_str().expect("cookie").split(';').next().unwrap().to_owned();
        let body: Value = signed_in.json().await.expect("json");
        AdminApi { http, url: url.to_owned(), cookie, csrf: body["csrfToken"].as_str().expect("csrf").to_owned() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let answer = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .expect("the service answers");
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }
}

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

async fn service_with_sso(server: &devserver::Running) -> (service::Running, AdminApi, std::path::PathBuf) {
    let database =
        std::env::temp_dir().join(format!("framephone-sso-{}.sqlite", service::random::id().replace(['-', '_'], "x")));
    let running = service::start(service::Options {
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: format!("sqlite://{}", database.display()),
        keys: Keyring::from_sources(Some(&Keyring::generate_entry()), None).expect("key"),
        secure_cookies: false,
        widget_origins: vec![server.widget.clone()],
        retry: service::outbox::RetryPolicy::default(),
        admin_dir: None,
        public_url: None,
    })
    .await
    .expect("the service starts");
    let admin = AdminApi::first_admin(&running.url, running.setup_token.clone()).await;
    for (username, sip_user) in [("agent.sso", "1084"), ("template.agent", "1086")] {
        let person = json!({"username": username, "role": "agent", "sipUser": sip_user});
        admin.call(reqwest::Method::POST, "/api/people", person).await;
    }
    let sip = json!({"secret": sip_secret(), "hash": "sha256", "ttlSeconds": 600});
    admin.call(reqwest::Method::PUT, "/api/tenant/call-credentials/sip", sip).await;
    (running, admin, database)
}

fn sso_settings(idp: &LabIdp, jit: bool) -> Value {
    json!({
        "enabled": true, "idpSsoUrl": format!("{}/sso", idp.base), "idpEntityId": format!("{}/metadata", idp.base),
        "idpCertificate": idp.certificate, "spEntityId": "default_agents_sso", "jit": jit,
        "templateUser": "template.agent",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_sign_in_at_the_identity_provider_and_register_without_a_sip_password() {
    let server = devserver().await;
    let (running, admin, database) = service_with_sso(&server).await;
    let metadata = format!("{}/sso/default/agents/metadata", running.url);
    let idp = LabIdp::start(&metadata, false).await;
    admin.call(reqwest::Method::PUT, "/api/tenant/sso/agents", sso_settings(&idp, true)).await;
    server.amend_config(json!({"service": {"url": running.url, "callCredentials": true}}));

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
    let people = admin.call(reqwest::Method::GET, "/api/people", Value::Null).await;
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
    admin.call(reqwest::Method::PUT, "/api/tenant/sso/agents", sso_settings(&severing, false)).await;
    let c = Browser::start().await;
    sign_in_with_sso(&c.client, &pop_out, "admin.sso", "idp-admin-pw").await;
    eventually("the phone to say why", || async {
        let alert = by_role(&c.client, "alert", "").await.ok()?.text().await.ok()?;
        alert.contains("just-in-time provisioning is off").then_some(())
    })
    .await;
    let audit = admin.call(reqwest::Method::GET, "/api/audit", Value::Null).await;
    let actions: Vec<&str> =
        audit["lines"].as_array().into_iter().flatten().filter_map(|l| l["action"].as_str()).collect();
    for action in ["sso.sign-in", "person.jit-create", "sso.refused", "credentials.issue"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
    c.close().await;
    drop(running);
    let _ = std::fs::remove_file(database);
}
