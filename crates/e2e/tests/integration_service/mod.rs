//! The integration service as the end-to-end tests run it: in this process on a fresh SQLite file
//! (removed when the test ends), its API as the first administrator, and the lab's SAML identity
//! provider (`lab/idp/idp.py`) as a process of its own.
// Each test binary uses part of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::PATIENCE;
use serde_json::{Value, json};
use service::master_key::Keyring;

/// The first administrator's password.
pub const ADMIN_PASSWORD: &str = "the administrator's long password";

/// A file of this repository.
pub fn repository_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// The value of the `secret` line of a lab file (`lab/sip-ephemeral.txt`, `lab/turn.txt`).
pub fn lab_secret(file: &str) -> String {
    let text = std::fs::read_to_string(repository_file(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .find_map(|l| l.strip_prefix("secret "))
        .unwrap_or_else(|| panic!("{file}: no secret line"))
        .trim()
        .to_owned()
}

/// The admin UI's build (`scripts/build-admin.sh`).
pub fn admin_dist() -> PathBuf {
    let dir = repository_file("crates/admin/dist");
    assert!(
        dir.join("index.html").is_file(),
        "{} has no index.html: run scripts/build-admin.sh (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// A directory removed with its files when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new directory named after `what`.
    pub fn new(what: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("framephone-{what}-{}", service::random::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The service on a fresh SQLite file.
pub struct TestService {
    /// The running service.
    pub running: service::Running,
    database: PathBuf,
}

impl TestService {
    /// Starts the service for the phones at `widget_origins`, serving the admin UI from
    /// `admin_dir` when given.
    pub async fn start(widget_origins: Vec<String>, admin_dir: Option<PathBuf>) -> TestService {
        let database = std::env::temp_dir()
            .join(format!("framephone-e2e-service-{}.sqlite", service::random::id().replace(['-', '_'], "x")));
        let running = service::start(service::Options {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", database.display()),
            keys: Keyring::from_sources(Some(&Keyring::generate_entry()), None).expect("key"),
            secure_cookies: false,
            widget_origins,
            retry: service::outbox::RetryPolicy::default(),
            admin_dir,
            public_url: None,
        })
        .await
        .expect("the service starts");
        TestService { running, database }
    }

    /// Where it listens.
    pub fn url(&self) -> &str {
        &self.running.url
    }

    /// Its first administrator, `root`, created with the setup token and signed in.
    pub async fn first_admin(&self) -> AdminApi {
        AdminApi::first_admin(self.url(), self.running.setup_token.clone()).await
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.database);
    }
}

/// The service's API as an administrator: the session cookie and the CSRF token on each change.
pub struct AdminApi {
    http: reqwest::Client,
    url: String,
    cookie: String,
    csrf: String,
}

impl AdminApi {
    /// Creates the first administrator, `root`, with `setup_token` at the service at `url`, and
    /// signs in.
    pub async fn first_admin(url: &str, setup_token: Option<String>) -> AdminApi {
        let setup =
            json!({"setupToken": setup_token.expect("a setup token"), "username": "root", "password": ADMIN_PASSWORD});
        let created = reqwest::Client::new().post(format!("{url}/api/setup")).json(&setup).send().await.expect("setup");
        assert!(created.status().is_success(), "{}", created.text().await.unwrap_or_default());
        AdminApi::sign_in(url).await
    }

    /// Signs `root` in at the service at `url`.
    pub async fn sign_in(url: &str) -> AdminApi {
        let http = reqwest::Client::new();
        let credentials = json!({"username": "root", "password": ADMIN_PASSWORD});
        let signed_in = http.post(format!("{url}/api/admin/session")).json(&credentials).send().await.expect("sign in");
        assert!(signed_in.status().is_success(), "root signs in: {}", signed_in.status());
        let cookie = signed_in.headers()["set-cookie"].to_str().expect("cookie").split(';').next().unwrap().to_owned();
        let body: Value = signed_in.json().await.expect("json");
        AdminApi { http, url: url.to_owned(), cookie, csrf: body["csrfToken"].as_str().expect("csrf").to_owned() }
    }

    /// `method path` with `body`; the answer's body, the test failing on an HTTP error.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    /// The audit lines of `action`.
    pub async fn audited(&self, action: &str) -> Vec<Value> {
        let audit = self.call(reqwest::Method::GET, "/api/audit?limit=1000", None).await;
        audit["lines"].as_array().into_iter().flatten().filter(|l| l["action"] == action).cloned().collect()
    }
}

/// The lab's identity provider as its own process, trusting the service's metadata.
pub struct LabIdp {
    _child: tokio::process::Child,
    /// Its origin; its entity id is `<base>/metadata`, its sign-on URL `<base>/sso`.
    pub base: String,
    /// Its signing certificate's PEM file.
    pub certificate: PathBuf,
    _dir: TempDir,
}

impl LabIdp {
    /// Starts the IdP for the service provider whose metadata is at `sp_metadata`; with `coop`
    /// its pages send `Cross-Origin-Opener-Policy: same-origin`, as Entra's do.
    pub async fn start(sp_metadata: &str, coop: bool) -> LabIdp {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("port").port();
        let dir = TempDir::new("idp");
        let child = tokio::process::Command::new("python3")
            .arg(repository_file("lab/idp/idp.py"))
            .args(["--port", &port.to_string()])
            .arg("--users")
            .arg(repository_file("lab/idp/users.txt"))
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
        let certificate = dir.0.join("idp.crt");
        LabIdp { _child: child, base, certificate, _dir: dir }
    }

    /// Its certificate, PEM.
    pub fn certificate_pem(&self) -> String {
        std::fs::read_to_string(&self.certificate).expect("the IdP's certificate")
    }

    /// The single sign-on settings of a scope that trusts this IdP.
    pub fn settings(&self, sp_entity_id: &str, jit: bool, template: Option<&str>) -> Value {
        json!({
            "enabled": true, "idpSsoUrl": format!("{}/sso", self.base), "idpEntityId": format!("{}/metadata", self.base),
            "idpCertificate": self.certificate_pem(), "spEntityId": sp_entity_id, "jit": jit, "templateUser": template,
        })
    }
}
