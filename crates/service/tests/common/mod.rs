//! What the service's tests share: a fresh database of either backend, a running service, the
//! emulators, an HTTP client that keeps the admin cookie and CSRF token, and the service's logs.
// Each test binary uses part of these helpers.
#![allow(dead_code)]

pub mod saml;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Mutex, Once};

use reqwest::StatusCode;
use serde_json::Value;
use service::master_key::Keyring;
use sqlx::Connection;

/// Runs each scenario once on SQLite and once on PostgreSQL: `scenario(Backend)` becomes the
/// tests `scenario::sqlite` and `scenario::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await
            }
        }
    )*};
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The service's log lines so far (every test of the binary writes to them).
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything the service logged, at every level, in this test binary.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

fn capture_logs() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber =
            tracing_subscriber::fmt().json().with_max_level(tracing::Level::TRACE).with_writer(|| Capture).finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    });
}

fn random_name() -> String {
    service::random::id().to_lowercase().replace(['-', '_'], "x")
}

/// The admin URL of the test PostgreSQL: `FRAMEPHONE_TEST_POSTGRES`, or the cluster
/// `scripts/postgres.sh start` starts (or finds running).
fn postgres_admin_url() -> String {
    if let Ok(url) = std::env::var("FRAMEPHONE_TEST_POSTGRES") {
        return url;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres.sh");
    let output = std::process::Command::new(script).arg("start").output().expect("scripts/postgres.sh runs");
    assert!(output.status.success(), "scripts/postgres.sh start: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().last().unwrap_or("").trim().to_owned()
}

/// A new, empty database's URL.
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("framephone-service-test-{}.sqlite", random_name()));
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("t_{}", random_name());
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("the test PostgreSQL answers");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
            admin.rsplit_once('/').map(|(base, _)| format!("{base}/{name}")).expect("url with a database")
        }
    }
}

/// A master key entry for tests.
pub fn key_entry() -> String {
    Keyring::generate_entry()
}

/// The widget origin the test services allow.
pub const WIDGET_ORIGIN: &str = "https://phone.example.test";

/// Starts the service on `database_url` with the master keys `keys`.
pub async fn start_service(database_url: &str, keys: &str) -> service::Running {
    let quick = service::outbox::RetryPolicy {
        first: std::time::Duration::from_millis(200),
        max: std::time::Duration::from_secs(1),
        lease: std::time::Duration::from_secs(5),
    };
    start_service_retrying(database_url, keys, quick).await
}

/// Starts the service like [`start_service`], its outbox retrying by `retry`.
pub async fn start_service_retrying(
    database_url: &str,
    keys: &str,
    retry: service::outbox::RetryPolicy,
) -> service::Running {
    capture_logs();
    let options = service::Options {
        address: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database_url.to_owned(),
        keys: Keyring::from_sources(Some(keys), None).expect("test keys"),
        secure_cookies: false,
        widget_origins: vec![WIDGET_ORIGIN.to_owned()],
        // Quick retries by default, so that an outage of seconds is waited out in a test.
        retry,
        admin_dir: None,
        public_url: None,
    };
    service::start(options).await.expect("the service starts")
}

/// Starts the emulators (ServiceNow, Salesforce) on free loopback ports.
pub async fn start_emulators() -> devserver::Running {
    let dist = std::env::temp_dir();
    devserver::start(devserver::Options::ephemeral(dist)).await.expect("the emulators start")
}

/// A client of the service's API that keeps the admin cookie and CSRF token it was given.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
    csrf: Option<String>,
    bearer: Option<String>,
    origin: Option<String>,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            cookie: None,
            csrf: None,
            bearer: None,
            origin: None,
        }
    }

    pub async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        if let Some(csrf) = &self.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(bearer) = &self.bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(origin) = &self.origin {
            request = request.header("origin", origin);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status();
        if let Some(set) = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()) {
            let pair = set.split(';').next().unwrap_or("").to_owned();
            self.cookie = if pair.ends_with('=') { None } else { Some(pair) };
        }
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// The raw response to `method path` sent with an `Origin` header (CORS checks).
    pub async fn with_origin(&self, method: &str, path: &str, origin: &str) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base)).header("origin", origin);
        if method_is_preflight(&request) {
            request = request.header("access-control-request-method", "POST");
        }
        request.send().await.expect("the service answers")
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, Value) {
        self.call("GET", path, None).await
    }

    pub async fn post(&mut self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, Some(body)).await
    }

    pub async fn patch(&mut self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("PATCH", path, Some(body)).await
    }

    pub async fn put(&mut self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("PUT", path, Some(body)).await
    }

    pub async fn delete(&mut self, path: &str) -> (StatusCode, Value) {
        self.call("DELETE", path, None).await
    }

    /// Signs in as an administrator and keeps the cookie and CSRF token.
    pub async fn sign_in_admin(&mut self, username: &str, password: &str) {
        let (status, body) =
            self.post("/api/admin/session", serde_json::json!({"username": username, "password": password})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.csrf = body["csrfToken"].as_str().map(str::to_owned);
    }

    /// Drops the CSRF token (to check that changes need it).
    pub fn forget_csrf(&mut self) -> Option<String> {
        self.csrf.take()
    }

    /// Puts a CSRF token back.
    pub fn set_csrf(&mut self, csrf: Option<String>) {
        self.csrf = csrf;
    }

    /// The same agent's bearer token, used against this client's service.
    pub fn with_bearer_of(mut self, other: &Api) -> Api {
        self.bearer = other.bearer.clone();
        self
    }

    /// Sends every request as a page at `origin` would (its `Origin` header).
    pub fn set_origin(&mut self, origin: Option<&str>) {
        self.origin = origin.map(str::to_owned);
    }

    /// Sends `cookie` (`name=value`) with every request.
    pub fn set_cookie(&mut self, cookie: Option<String>) {
        self.cookie = cookie;
    }

    /// Uses `token` as the bearer token of every request.
    pub fn set_bearer(&mut self, token: Option<String>) {
        self.bearer = token;
    }
}

/// The first administrator's password in every test.
pub const ADMIN_PASSWORD: &str = "first admin's long password";

/// A service with its first administrator `root` created and signed in; its database URL and
/// master key come with it, for restarts.
pub async fn service_with_admin(backend: Backend) -> (service::Running, Api, String, String) {
    let database = fresh_database(backend).await;
    let key = key_entry();
    let running = start_service(&database, &key).await;
    let token = running.setup_token.clone().expect("a setup token at first start");
    let mut api = Api::new(&running.url);
    let (status, body) = api
        .post("/api/setup", serde_json::json!({"setupToken": token, "username": "root", "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    api.sign_in_admin("root", ADMIN_PASSWORD).await;
    let (_, health) = api.get("/api/health").await;
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(health["database"], expected, "{health}");
    (running, api, database, key)
}

fn method_is_preflight(request: &reqwest::RequestBuilder) -> bool {
    request.try_clone().and_then(|r| r.build().ok()).is_some_and(|r| r.method() == reqwest::Method::OPTIONS)
}

/// Creates a ServiceNow account on the emulator's instance and requests its refresh token;
/// returns the account's id.
pub async fn servicenow_account(api: &mut Api, instance_url: &str) -> String {
    let (user, password) = devserver::SERVICENOW_INSTANCE_ADMIN;
    let account = serde_json::json!({
        "kind": "servicenow", "name": "Acme",
        "settings": {"instanceUrl": instance_url, "clientId": devserver::SERVICENOW_SERVICE_CLIENT_ID},
        "secrets": {"clientSecret": devserver::SERVICENOW_SERVICE_CLIENT_SECRET},
    });
    let (status, created) = api.post("/api/accounts", account).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (status, body) = api
        .post(&format!("/api/accounts/{id}/refresh-token"), serde_json::json!({"username": user, "password": password}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// Adds a Salesforce account for the emulated org and gets its refresh token through the org's
/// Allow page, as the administrator's popup does; returns the account's id.
pub async fn salesforce_account(api: &mut Api, service_url: &str, emulators: &devserver::Running) -> String {
    emulators.salesforce_org().set_connected_app_redirect_uri(&format!("{service_url}/oauth/callback"));
    let account = serde_json::json!({
        "kind": "salesforce", "name": "Acme org",
        "settings": {"myDomainUrl": emulators.salesforce, "consumerKey": devserver::SALESFORCE_CONSUMER_KEY},
        "secrets": {"consumerSecret": devserver::SALESFORCE_CONSUMER_SECRET},
    });
    let (status, created) = api.post("/api/accounts", account).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let (_, started) = api.post(&format!("/api/accounts/{id}/authorize"), serde_json::json!({})).await;
    let url = started["url"].as_str().expect("url");
    let (status, page) =
        answer_consent(url, &format!("{}/services/oauth2/authorize", emulators.salesforce), "allow").await;
    assert_eq!(status, 200, "{page}");
    id
}

/// Signs in a new agent with SIP user `sip_user` and returns a client using their bearer token.
pub async fn agent_phone(admin: &mut Api, base: &str, sip_user: &str) -> Api {
    let password = format!("agent {sip_user} long password");
    let (status, body) = admin
        .post("/api/people", serde_json::json!({"username": format!("agent{sip_user}"), "role": "agent", "password": password, "sipUser": sip_user}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut phone = Api::new(base);
    let (status, session) = phone
        .post("/api/agent/session", serde_json::json!({"username": format!("agent{sip_user}"), "password": password}))
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    phone.set_bearer(session["accessToken"].as_str().map(str::to_owned));
    phone
}

/// A finished inbound call's log as the widget hands it over.
pub fn call_log(call_id: &str, agent: &str, notes: &str) -> serde_json::Value {
    serde_json::json!({"kind": "servicenow", "log": {
        "call_id": call_id, "agent": agent, "direction": "Inbound", "number": "+14155550131", "party": "Ana Díaz",
        "started": 1_765_000_000_000u64, "seconds": 42, "outcome": "Answered", "disposition": "Resolved",
        "notes": notes, "record": null,
    }})
}

/// The administrator's popup, by hand: opens the CRM's consent page at `url`, answers it with
/// `decision` (`allow` or `deny`) at `consent_action`, follows the redirect back to the service
/// and returns the callback page's status and text.
pub async fn answer_consent(url: &str, consent_action: &str, decision: &str) -> (u16, String) {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = browser.get(url).send().await.expect("consent page").text().await.expect("page");
    let consent = page
        .split("name=\"consent\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no consent form in {page}"))
        .to_owned();
    let answered = browser
        .post(consent_action)
        .form(&[("consent", consent.as_str()), ("decision", decision)])
        .send()
        .await
        .expect("answer");
    let back = answered.headers().get("location").and_then(|v| v.to_str().ok()).expect("a redirect back").to_owned();
    let callback = browser.get(&back).send().await.expect("callback");
    let status = callback.status().as_u16();
    (status, callback.text().await.unwrap_or_default())
}
