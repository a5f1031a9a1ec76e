//! The widget inside ServiceNow with the integration service in between: the agent's Authorise
//! opens the service's sign-in window, the screen pop searches with a CRM token the service
//! handed out, and the wrapped-up call's log goes to the service, whose outbox writes it on the
//! instance with the account's credentials. The browser never sees a client secret or refresh
//! token. Needs the Kamailio lab (`$LAB_WS_PORT`); agents 1078 and 1079.

use std::net::SocketAddr;

use devserver::{ServiceNowField, ServiceNowRecord};
use e2e::{
    Browser, PATIENCE, answer_talk_and_hang_up, by_role, devserver, enter_widget, eventually, page_shows, sign_in,
    signed_in_browser, wait_for_role,
};
use fantoccini::Locator;
use serde_json::{Value, json};
use service::master_key::Keyring;

const ADMIN_PASSWORD: &str = "the administrator's long password";
const AGENT_PASSWORD: &str = "agent 1078's long password";

/// The service's API as an administrator: the session cookie and the CSRF token on each change.
struct AdminApi {
    http: reqwest::Client,
    url: String,
    cookie: String,
    csrf: String,
}

impl AdminApi {
    /// Creates the first administrator with the setup token and signs in.
    async fn first_admin(running: &service::Running) -> AdminApi {
        let http = reqwest::Client::new();
        let url = running.url.clone();
        let setup = json!({"setupToken": running.setup_token.clone().expect("a setup token"),
                           "username": "root", "password": ADMIN_PASSWORD});
        let created = http.post(format!("{url}/api/setup")).json(&setup).send().await.expect("setup");
        assert!(created.status().is_success(), "{}", created.text().await.unwrap_or_default());
        let credentials = json!({"username": "root", "password": ADMIN_PASSWORD});
        let signed_in = http.post(format!("{url}/api/admin/session")).json(&credentials).send().await.expect("sign in");
        let cookie = signed_in.headers()["set-cookie"].to_str().expect("cookie").split(';').next().unwrap().to_owned();
        let body: Value = signed_in.json().await.expect("json");
        AdminApi { http, url, cookie, csrf: body["csrfToken"].as_str().expect("csrf").to_owned() }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.expect("the service answers");
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servicenow_through_the_service_pops_the_record_and_the_service_logs_the_call() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let sys_id = "c0a7ac70000000000000000000001079";
    instance.add_record(ServiceNowRecord {
        table: "customer_contact".into(),
        sys_id: sys_id.into(),
        label: "Contact".into(),
        title: "Noor Haddad".into(),
        contact_name: "Noor Haddad".into(),
        fields: vec![
            ServiceNowField::text("name", "Name", "Noor Haddad"),
            ServiceNowField::phone("phone", "Business phone", "1079"),
        ],
    });

    // The service, set up as an administrator would: an account with its refresh token, and
    // agent 1078.
    let database = std::env::temp_dir()
        .join(format!("framephone-service-crm-{}.sqlite", service::random::id().replace(['-', '_'], "x")));
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
    let admin = AdminApi::first_admin(&running).await;
    let account = admin
        .call(
            reqwest::Method::POST,
            "/api/accounts",
            Some(json!({"kind": "servicenow", "name": "Emulator",
                        "settings": {"instanceUrl": server.servicenow, "clientId": devserver::SERVICENOW_SERVICE_CLIENT_ID},
                        "secrets": {"clientSecret": devserver::SERVICENOW_SERVICE_CLIENT_SECRET}})),
        )
        .await;
    let (user, password) = devserver::SERVICENOW_INSTANCE_ADMIN;
    let id = account["id"].as_str().expect("id");
    admin
        .call(
            reqwest::Method::POST,
            &format!("/api/accounts/{id}/refresh-token"),
            Some(json!({"username": user, "password": password})),
        )
        .await;
    admin
        .call(
            reqwest::Method::POST,
            "/api/people",
            Some(json!({"username": "noor.agent", "role": "agent", "sipUser": "1078", "password": AGENT_PASSWORD})),
        )
        .await;
    // The service takes over from the phone's own OAuth client, which the configuration still names.
    server.amend_config(json!({"service": {"url": running.url}}));

    // The agent authorises the phone by signing in to the service in its window.
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1078").await;
    let widget_window = client.window().await.expect("the agent's window");
    wait_for_role(client, "button", "Authorise", PATIENCE)
        .await
        .expect("the phone asks to be authorised")
        .click()
        .await
        .unwrap();
    let popup = eventually("the service's sign-in window", || async {
        client.windows().await.ok()?.into_iter().find(|w| *w != widget_window)
    })
    .await;
    client.switch_to_window(popup).await.unwrap();
    wait_for_role(client, "heading", "Sign in to the phone", PATIENCE).await.expect("the sign-in page");
    assert!(client.current_url().await.unwrap().as_str().starts_with(&running.url), "the service's own page");
    by_role(client, "textbox", "Username").await.unwrap().send_keys("noor.agent").await.unwrap();
    client.find(Locator::Css("input[type=password]")).await.unwrap().send_keys("a wrong password").await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    let refused = eventually("the refusal", || async {
        let alert = client.find(Locator::Css("#problem")).await.ok()?;
        let text = alert.text().await.ok()?;
        (!text.is_empty()).then_some(text)
    })
    .await;
    assert!(refused.to_lowercase().contains("username or password"), "{refused}");
    let password_box = client.find(Locator::Css("input[type=password]")).await.unwrap();
    password_box.clear().await.unwrap();
    password_box.send_keys(AGENT_PASSWORD).await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    eventually("the sign-in window to close", || async { (client.windows().await.ok()?.len() == 1).then_some(()) })
        .await;
    client.switch_to_window(widget_window).await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("the Authorise button to go", || async {
        by_role(client, "button", "Authorise").await.is_err().then_some(())
    })
    .await;

    // A call: the record opens while it rings (searched with the service's token).
    let caller = signed_in_browser(&server.widget, "1079").await;
    by_role(&caller.client, "textbox", "Number").await.unwrap().send_keys("1078\u{e007}").await.unwrap();
    client.enter_parent_frame().await.unwrap();
    page_shows(client, "#record h2", "Noor Haddad").await;
    enter_widget(client, "#openframe").await;
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1079", "Resolved", "Delivery address corrected").await;

    // The service's outbox writes it on the instance, once, linked to the record.
    let row = eventually("the phone log on the instance", || async {
        let rows: Vec<_> = instance.phone_logs().into_iter().filter(|row| row["phone_number"] == "1079").collect();
        (rows.len() == 1).then(|| rows[0].clone())
    })
    .await;
    assert_eq!(row["document_id"], sys_id, "{row}");
    assert_eq!(row["disposition"], "Resolved");
    assert_eq!(row["notes"], "Delivery address corrected");
    let logs = admin.call(reqwest::Method::GET, "/api/call-logs?state=delivered", None).await;
    let delivered = logs["logs"].as_array().map_or(0, Vec::len);
    assert_eq!(delivered, 1, "{logs}");
    eventually("the Activity list to empty", || async {
        by_role(client, "region", "Activity").await.is_err().then_some(())
    })
    .await;

    // Nothing the service keeps secret reached the page.
    let page = client.source().await.unwrap();
    assert!(!page.contains(devserver::SERVICENOW_SERVICE_CLIENT_SECRET), "no client secret in the widget");
    caller.close().await;
    agent.close().await;
    drop(running);
    let _ = std::fs::remove_file(database);
}
