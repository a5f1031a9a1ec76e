//! The widget inside ServiceNow with the integration service in between: the agent's Authorise
//! opens the service's sign-in window, the screen pop searches with a CRM token the service
//! handed out, and the wrapped-up call's log goes to the service, whose outbox writes it on the
//! instance with the account's credentials. The browser never sees a client secret or refresh
//! token. And a call logged while the instance is down for a minute, the service's process
//! killed and started again meanwhile, lands once. Needs the Kamailio lab (`$LAB_WS_PORT`) and
//! the service's binary (`cargo build -p service`); agents 1078–1081.

mod integration_service;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use devserver::{ServiceNowField, ServiceNowRecord};
use e2e::{
    Browser, PATIENCE, answer_talk_and_hang_up, by_role, devserver, enter_widget, eventually, page_shows, sign_in,
    signed_in_browser, wait_for_role,
};
use fantoccini::Locator;
use integration_service::{AdminApi, TestService};
use serde_json::json;
use service::master_key::Keyring;

const AGENT_PASSWORD: &str = "the agent's long service password";

/// Sets the service up as an administrator would: an account for the emulated instance with its
/// refresh token, and the agent `username` on SIP user `sip_user`.
async fn set_up(admin: &AdminApi, server: &devserver::Running, username: &str, sip_user: &str) {
    let account = json!({"kind": "servicenow", "name": "Emulator",
                         "settings": {"instanceUrl": server.servicenow, "clientId": devserver::SERVICENOW_SERVICE_CLIENT_ID},
                         "secrets": {"clientSecret": devserver::SERVICENOW_SERVICE_CLIENT_SECRET}});
    let account = admin.call(reqwest::Method::POST, "/api/accounts", Some(account)).await;
    let (user, password) = devserver::SERVICENOW_INSTANCE_ADMIN;
    let id = account["id"].as_str().expect("id");
    let refresh = json!({"username": user, "password": password});
    admin.call(reqwest::Method::POST, &format!("/api/accounts/{id}/refresh-token"), Some(refresh)).await;
    let agent = json!({"username": username, "role": "agent", "sipUser": sip_user, "password": AGENT_PASSWORD});
    admin.call(reqwest::Method::POST, "/api/people", Some(agent)).await;
}

/// Clicks Authorise in the widget (the current frame) and signs in as `username` in the
/// service's window, first with `wrong_password` when given (its refusal shown there).
async fn authorise_through_the_service(
    client: &fantoccini::Client,
    service_url: &str,
    username: &str,
    wrong_password: Option<&str>,
) {
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
    assert!(client.current_url().await.unwrap().as_str().starts_with(service_url), "the service's own page");
    by_role(client, "textbox", "Username").await.unwrap().send_keys(username).await.unwrap();
    let password_box = client.find(Locator::Css("input[type=password]")).await.unwrap();
    if let Some(wrong) = wrong_password {
        password_box.send_keys(wrong).await.unwrap();
        by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
        let refused = eventually("the refusal", || async {
            let alert = client.find(Locator::Css("#problem")).await.ok()?;
            let text = alert.text().await.ok()?;
            (!text.is_empty()).then_some(text)
        })
        .await;
        assert!(refused.to_lowercase().contains("username or password"), "{refused}");
        password_box.clear().await.unwrap();
    }
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
    let service = TestService::start(vec![server.widget.clone()], None).await;
    let running = &service.running;
    let admin = service.first_admin().await;
    set_up(&admin, &server, "noor.agent", "1078").await;
    server.amend_config(json!({"service": {"url": running.url}}));

    // The agent authorises the phone by signing in to the service in its window.
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1078").await;
    authorise_through_the_service(client, &running.url, "noor.agent", Some("a wrong password")).await;

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
    drop(service);
}

/// The service's binary, built beside this test's (`target/debug/framephone-service`).
fn service_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let binary = exe.parent().and_then(Path::parent).expect("target/debug").join("framephone-service");
    assert!(binary.is_file(), "{} is missing: run cargo build -p service (scripts/test.sh does)", binary.display());
    binary
}

/// The service as its own process, so that it can be killed as a crash kills it.
struct ServiceProcess {
    child: tokio::process::Child,
    setup_token: Option<String>,
}

impl ServiceProcess {
    /// Starts `framephone-service` on `address` with `database` and `key`, for the widget at
    /// `widget_origin`, and waits until it answers (reading a setup token if it prints one).
    async fn start(address: SocketAddr, database: &str, key: &str, widget_origin: &str) -> ServiceProcess {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(service_binary())
            .env("FRAMEPHONE_MASTER_KEY", key)
            .env("DATABASE_URL", database)
            .env("FRAMEPHONE_SERVICE_ADDR", address.to_string())
            .env("FRAMEPHONE_WIDGET_ORIGINS", widget_origin)
            .env("FRAMEPHONE_LOG", "text")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the service starts");
        let url = format!("http://{address}");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let deadline = Instant::now() + PATIENCE;
        while !reqwest::get(format!("{url}/api/health")).await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the service at {url} did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The token is printed once the service listens, on the line after its announcement.
        let mut setup_token = None;
        while let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(2), lines.next_line()).await {
            if let Some(token) = line.strip_prefix("  ") {
                setup_token = Some(token.trim().to_owned());
                break;
            }
        }
        ServiceProcess { child, setup_token }
    }

    /// Kills the process at once (SIGKILL), as a crash does.
    async fn crash(mut self) {
        self.child.kill().await.expect("kill the service");
    }
}

/// A local address nothing listens on now.
fn free_address() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    probe.local_addr().expect("its address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_handed_over_while_the_instance_is_down_a_minute_and_the_service_crashes_lands_once() {
    let server = devserver().await;
    let instance = server.servicenow_instance();
    let address = free_address();
    let url = format!("http://{address}");
    let database = std::env::temp_dir()
        .join(format!("framephone-service-crash-{}.sqlite", service::random::id().replace(['-', '_'], "x")));
    let database_url = format!("sqlite://{}", database.display());
    let key = Keyring::generate_entry();
    let first = ServiceProcess::start(address, &database_url, &key, &server.widget).await;
    let admin = AdminApi::first_admin(&url, first.setup_token.clone()).await;
    set_up(&admin, &server, "lina.agent", "1080").await;
    server.amend_config(json!({"service": {"url": url}}));

    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1080").await;
    authorise_through_the_service(client, &url, "lina.agent", None).await;

    // The instance's REST API is down for a minute; a call ends and is wrapped up meanwhile.
    let outage = Duration::from_secs(60);
    instance.rest_unavailable_for(outage);
    let outage_ends = Instant::now() + outage;
    let caller = signed_in_browser(&server.widget, "1081").await;
    by_role(&caller.client, "textbox", "Number").await.unwrap().send_keys("1080\u{e007}").await.unwrap();
    answer_talk_and_hang_up(client).await;
    e2e::wrap_up(client, "1081", "Resolved", "Logged through an outage").await;
    caller.close().await;

    // The service has it and has met the outage; the widget has nothing waiting.
    let waiting = eventually("the service's failed attempt", || async {
        let logs = admin.call(reqwest::Method::GET, "/api/call-logs?state=queued", None).await;
        let log = logs["logs"].as_array()?.first()?.clone();
        (log["attempts"].as_i64()? >= 1).then_some(log)
    })
    .await;
    assert!(waiting["lastError"].as_str().unwrap_or("").contains("503"), "the reason is kept: {waiting}");
    assert!(by_role(client, "region", "Activity").await.is_err(), "the widget handed the log over");

    // The service's process is killed and started again on the same database.
    first.crash().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let second = ServiceProcess::start(address, &database_url, &key, &server.widget).await;
    assert!(second.setup_token.is_none(), "the administrator survived the crash");
    assert!(Instant::now() < outage_ends, "the restart happened during the outage");

    // Once the instance is back, the log is written exactly once.
    let deadline = outage_ends + Duration::from_secs(90);
    let logged = |notes: &str| instance.phone_logs().into_iter().filter(|row| row["notes"] == notes).count();
    while logged("Logged through an outage") == 0 {
        assert!(Instant::now() < deadline, "the log never reached the instance");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(Instant::now() >= outage_ends, "nothing was written during the outage");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(logged("Logged through an outage"), 1, "exactly once");
    // The administrator's session, kept in the database, outlived the crash too.
    let delivered = admin.call(reqwest::Method::GET, "/api/call-logs?state=delivered", None).await;
    assert_eq!(delivered["logs"].as_array().map_or(0, Vec::len), 1, "{delivered}");
    assert!(delivered["logs"][0]["attempts"].as_i64().unwrap_or(0) >= 2, "{delivered}");
    agent.close().await;
    second.crash().await;
    let _ = std::fs::remove_file(database);
}
