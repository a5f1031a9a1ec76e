//! Harness for the end-to-end tests: a dev server on free loopback ports, a private ChromeDriver
//! and headless Chromium, and helpers that find elements by role and accessible name as a
//! screen reader does (WebDriver's computed role and computed label).

mod a11y;
mod browser;
mod recorder;
mod wait;

pub use a11y::{by_role, wait_for_role};
pub use browser::Browser;
pub use recorder::Recorder;
pub use wait::{PATIENCE, eventually};

use std::path::PathBuf;

/// The Trunk build the tests serve: `$FRAMEPHONE_DIST`, or `dist/` at the workspace root.
pub fn dist_dir() -> PathBuf {
    match std::env::var_os("FRAMEPHONE_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist"),
    }
}

/// Starts the dev server on free ports for one test; the widget's SIP server is the lab's
/// WebSocket port `$LAB_WS_PORT` (default 8088).
pub async fn devserver() -> devserver::Running {
    let dist = dist_dir();
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build the widget first (scripts/test.sh does)",
        dist.display()
    );
    let mut options = devserver::Options::ephemeral(dist);
    if let Ok(port) = std::env::var("LAB_WS_PORT") {
        options.sip_server = format!("ws://127.0.0.1:{port}");
    }
    devserver::start(options).await.expect("dev server starts")
}

/// Saves a PNG of the whole browser window as `target/screenshots/<name>.png` (the README's
/// pictures come from here).
pub async fn screenshot(client: &fantoccini::Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    let png = client.screenshot().await.expect("take a screenshot");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(format!("{name}.png")), png))
        .expect("write the screenshot");
}

/// The names of the host API calls an emulator page has logged, oldest first.
pub async fn host_log(client: &fantoccini::Client) -> Vec<String> {
    let script = "return Array.from(document.querySelectorAll('#host-log li')).reverse()\
                  .map(li => li.dataset.outcome + ' ' + li.dataset.name);";
    let value = client.execute(script, vec![]).await.expect("read the host log");
    value
        .as_array()
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Waits until the emulator's log shows `entry` (e.g. `"ok setTitle"`).
pub async fn wait_for_log(client: &fantoccini::Client, entry: &str) -> Vec<String> {
    eventually(&format!("the host log to show {entry:?}"), || async {
        let log = host_log(client).await;
        log.iter().any(|e| e == entry).then_some(log)
    })
    .await
}

/// Types a lab user's credentials (`lab-USER-pw`) into the sign-in form and submits it.
pub async fn submit_sign_in(client: &fantoccini::Client, user: &str) {
    let username = wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the Username box");
    username.send_keys(user).await.expect("type the username");
    let password = by_role(client, "textbox", "Password").await.expect("the Password box");
    password.send_keys(&format!("lab-{user}-pw")).await.expect("type the password");
    by_role(client, "button", "Sign in").await.expect("the Sign in button").click().await.expect("click Sign in");
}

/// Signs a lab user in and waits until the status says it is registered.
pub async fn sign_in(client: &fantoccini::Client, user: &str) {
    submit_sign_in(client, user).await;
    wait_for_status(client, &format!("Registered as {user}")).await;
}

/// Waits until the phone's `status` region contains `expected`.
pub async fn wait_for_status(client: &fantoccini::Client, expected: &str) {
    eventually(&format!("status {expected:?}"), || async {
        let text = by_role(client, "status", "").await.ok()?.text().await.ok()?;
        text.contains(expected).then_some(())
    })
    .await;
}

/// The audio packets sent and received that a call's region shows ("Audio packets: 56 sent,
/// 55 received").
pub fn audio_packets(call_text: &str) -> (u64, u64) {
    let counts: Vec<u64> = call_text
        .split("Audio packets:")
        .nth(1)
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .take(2)
        .collect();
    (counts.first().copied().unwrap_or(0), counts.get(1).copied().unwrap_or(0))
}

/// A fresh browser on the widget's pop-out view (`widget` is its origin) with a lab user signed
/// in and registered.
pub async fn signed_in_browser(widget: &str, user: &str) -> Browser {
    let browser = Browser::start().await;
    browser.client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    sign_in(&browser.client, user).await;
    browser
}

/// The phone's tones that are playing now (`ringtone`, `call-waiting`): audio elements that are
/// not paused and whose time has moved.
pub async fn sounds_playing(client: &fantoccini::Client) -> Vec<String> {
    let script = "return [...document.querySelectorAll('audio[data-sound]')]\
                  .filter(a => !a.paused && a.currentTime > 0).map(a => a.dataset.sound)";
    let found = client.execute(script, vec![]).await.expect("list the sounds");
    found.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned)).collect()
}

/// Waits until exactly `expected` sounds are playing.
pub async fn wait_for_sounds(client: &fantoccini::Client, expected: &[&str]) {
    eventually(&format!("the sounds {expected:?}"), || async {
        let playing = sounds_playing(client).await;
        (playing == expected).then_some(())
    })
    .await;
}

#[derive(Debug)]
struct GrantPermission(&'static str);

impl fantoccini::wd::WebDriverCompatibleCommand for GrantPermission {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/permissions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = format!(r#"{{"descriptor": {{"name": "{}"}}, "state": "granted"}}"#, self.0);
        (http::Method::POST, Some(body))
    }
}

/// Grants the current page's origin a permission (`notifications`), as the agent would in the
/// browser's prompt (WebDriver "Set Permission").
pub async fn grant_permission(client: &fantoccini::Client, name: &'static str) {
    client.issue_cmd(GrantPermission(name)).await.expect("grant the permission");
}

#[derive(Debug)]
struct DevTools {
    command: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.command, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Runs a Chrome DevTools Protocol command through ChromeDriver; its result.
pub async fn devtools_result(
    client: &fantoccini::Client,
    command: &'static str,
    params: serde_json::Value,
) -> serde_json::Value {
    client.issue_cmd(DevTools { command, params }).await.expect("the DevTools command")
}

/// The caller clicks **Call** (its Number box is already filled), the callee answers, and the
/// caller shows Connected.
pub async fn call_and_answer(caller: &fantoccini::Client, callee: &fantoccini::Client) {
    by_role(caller, "button", "Call").await.expect("the Call button").click().await.expect("click Call");
    wait_for_role(callee, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(callee, "button", "Answer").await.expect("the Answer button").click().await.expect("click Answer");
    eventually("the call to connect", || async {
        let text = by_role(caller, "region", "Active call").await.ok()?.text().await.ok()?;
        text.contains("Connected").then_some(())
    })
    .await;
}

/// `from` hangs up its call, and the other side's call ends too.
pub async fn hang_up(from: &fantoccini::Client, other: &fantoccini::Client) {
    by_role(from, "button", "Hang up").await.expect("the Hang up button").click().await.expect("click Hang up");
    eventually("the call to end", || async { by_role(other, "region", "Active call").await.is_err().then_some(()) })
        .await;
}

/// Makes the widget's wasm module reachable as `window.__wasm` from the page's next load on (the
/// loader hands it out only in its start event), so that its memory can be read.
pub async fn keep_wasm_module(client: &fantoccini::Client) {
    let source = "addEventListener('TrunkApplicationStarted', e => { window.__wasm = e.detail.wasm; })";
    devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": source })).await;
}

/// From the page's next load on, records every Content-Security-Policy violation the page (and
/// its same-process frames) reports, for [`csp_violations`].
pub async fn record_csp_violations(client: &fantoccini::Client) {
    let source = "window.__cspViolations = [];\
                  addEventListener('securitypolicyviolation', e => window.__cspViolations.push(\
                  e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));";
    devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": source })).await;
}

/// The CSP violations the current page reported since it loaded ([`record_csp_violations`]).
pub async fn csp_violations(client: &fantoccini::Client) -> Vec<String> {
    let found = client.execute("return window.__cspViolations || ['the violation recorder is missing']", vec![]).await;
    let found = found.expect("read the CSP violations");
    found.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

/// The body of a plain `GET url` as text.
pub async fn response_body(url: &str) -> String {
    let response = raw_get(url).await;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

async fn raw_get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(authority).await.expect("connect to the server");
    // HTTP/1.0: the body comes whole, without chunked framing.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send the request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read the response");
    String::from_utf8_lossy(&response).into_owned()
}

/// The response headers of a plain `GET url` (`http://127.0.0.1:PORT/path`), names in lower case.
pub async fn response_headers(url: &str) -> Vec<(String, String)> {
    let response = raw_get(url).await;
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect()
}

/// A lab user registered from this process (the project's own user agent over WebSocket),
/// presenting `display_name` in the From of its calls: a caller whose name the test chooses.
pub async fn sip_caller(user: &str, display_name: &str) -> sipshell::Phone {
    let port = std::env::var("LAB_WS_PORT").unwrap_or_else(|_| "8088".into());
    let aor = sip::message::Uri::parse(format!("sip:{user}@framephone.test").as_bytes()).expect("a lab address");
    let mut config = sip::agent::AgentConfig::new(
        aor,
        sip::auth::Credentials { username: user.to_owned(), password: format!("lab-{user}-pw") },
        vec![sip::agent::Server {
            address: format!("ws://127.0.0.1:{port}"),
            transport: sip::agent::TransportKind::Ws,
        }],
        format!("urn:uuid:5e1f0000-0000-4000-8000-00000000{user:0>4}"),
    );
    config.display_name = Some(display_name.to_owned());
    let mut phone = sipshell::Phone::start(config).expect("the caller's configuration");
    let registered = phone
        .wait_for(std::time::Duration::from_secs(10), |event| match event {
            sip::agent::Event::Registered { .. } => Some(true),
            sip::agent::Event::RegistrationFailed(_) => Some(false),
            _ => None,
        })
        .await;
    assert_eq!(registered, Ok(true), "the SIP caller {user} registers with the lab");
    phone
}
