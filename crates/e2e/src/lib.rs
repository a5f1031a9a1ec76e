//! Harness for the end-to-end tests: a dev server on free loopback ports, a private ChromeDriver
//! and headless Chromium, and helpers that find elements by role and accessible name as a
//! screen reader does (WebDriver's computed role and computed label).

mod a11y;
pub mod axe;
mod browser;
mod dice;
mod holdings;
mod page_errors;
mod recorder;
mod secure_lab;
mod sounds;
mod udp_relay;
mod wait;
mod words;

pub use a11y::{accessible_name, all_by_role, by_role, by_role_starting, computed_role, wait_for_role};
pub use browser::Browser;
pub use holdings::{Holdings, answered_call_by_script, click_by_script, wait_for_script};
pub use page_errors::{check_page_error_recorder, clear_page_errors, page_errors, record_page_errors};
pub use recorder::Recorder;
pub use secure_lab::{LabTls, devserver_over_https};
pub use sounds::{tone_wav, voice_wav};
pub use udp_relay::{Impairment, UdpRelay};
pub use wait::{PATIENCE, eventually};
pub use words::Words;

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
    serve_dist(dist_dir()).await
}

/// Starts the dev server on free ports for the Trunk build in `dist`, as [`devserver`] does.
pub async fn serve_dist(dist: PathBuf) -> devserver::Running {
    devserver::start(lab_options(dist)).await.expect("dev server starts")
}

/// The dev server's options for the lab: the build in `dist`, the SIP server `$LAB_WS_PORT`.
fn lab_options(dist: PathBuf) -> devserver::Options {
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build the widget first (scripts/test.sh does)",
        dist.display()
    );
    let mut options = devserver::Options::ephemeral(dist);
    if let Ok(port) = std::env::var("LAB_WS_PORT") {
        options.sip_server = format!("ws://127.0.0.1:{port}");
    }
    options
}

/// Starts the dev server like [`devserver`], the widget's configuration with these ICE servers
/// and transport policy.
pub async fn devserver_with_ice(
    servers: Vec<devserver::IceServer>,
    policy: devserver::IceTransportPolicy,
) -> devserver::Running {
    let mut options = lab_options(dist_dir());
    options.ice_servers = servers;
    options.ice_transport_policy = policy;
    devserver::start(options).await.expect("dev server starts")
}

/// The TURN lab of `scripts/lab.sh`: its two coturn processes on loopback and the credentials
/// of `lab/turn.txt`.
#[derive(Clone, Debug)]
pub struct TurnLab {
    /// `$LAB_TURN_PORT` (default 3478): the coturn with long-term credentials, UDP and TCP.
    pub port: u16,
    /// `$LAB_TURN_TLS_PORT` (default `port` + 1): the same coturn over TLS (`turns:`), with the
    /// certificate of [`LabTls`].
    pub tls_port: u16,
    /// `$LAB_TURN_SECRET_PORT` (default `port` + 2): the coturn with the REST API secret.
    pub secret_port: u16,
    /// The first long-term user of `lab/turn.txt`.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The REST API's shared secret.
    pub secret: String,
}

impl TurnLab {
    /// The ports from the environment (as `scripts/test.sh` exports them), the credentials from
    /// `lab/turn.txt`.
    pub fn from_env() -> TurnLab {
        let port_from = |name: &str, default: u16| match std::env::var(name) {
            Ok(text) => text.parse().unwrap_or_else(|_| panic!("{name}={text:?} is not a port")),
            Err(_) => default,
        };
        let port = port_from("LAB_TURN_PORT", 3478);
        let tls_port = port_from("LAB_TURN_TLS_PORT", port + 1);
        let secret_port = port_from("LAB_TURN_SECRET_PORT", port + 2);
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../lab/turn.txt");
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let entry = |kind: &str| {
            text.lines().map(str::split_whitespace).find_map(|mut words| {
                (words.next() == Some(kind)).then(|| words.map(str::to_owned).collect::<Vec<_>>())
            })
        };
        let user = entry("user").filter(|w| w.len() == 2).unwrap_or_else(|| panic!("{file} has no user line"));
        let secret =
            entry("secret").and_then(|w| w.into_iter().next()).unwrap_or_else(|| panic!("{file} has no secret"));
        TurnLab { port, tls_port, secret_port, user: user[0].clone(), password: user[1].clone(), secret }
    }
}

/// The local candidate of the pair a call sends on, as `getStats` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalCandidate {
    /// `candidateType`: `host`, `srflx`, `prflx` or `relay`.
    pub candidate_type: String,
    /// `relayProtocol` of a relay candidate, how the browser reaches its TURN server: `udp`,
    /// `tcp` or `tls`; empty for other types.
    pub relay_protocol: String,
}

/// The local candidate of the pair the newest call of a page opened with
/// [`watch_peer_connections`] sends on: the transport's `selectedCandidatePairId`, else a
/// succeeded and nominated pair. None before one is chosen.
pub async fn selected_local_candidate(client: &fantoccini::Client) -> Option<LocalCandidate> {
    let script = "const done = arguments[arguments.length - 1];
        // A call's connection has the other side's description; the one kept ready has none.
        const open = (window.__peerConnections || [])
          .filter(pc => pc.connectionState !== 'closed' && pc.remoteDescription);
        if (!open.length) return done(null);
        open[open.length - 1].getStats().then(report => {
          const all = [...report.values()];
          const transport = all.find(s => s.type === 'transport' && s.selectedCandidatePairId);
          const pair = transport ? report.get(transport.selectedCandidatePairId)
            : all.find(s => s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated);
          const local = pair && report.get(pair.localCandidateId);
          done(local ? [local.candidateType, local.relayProtocol || ''] : null);
        }, () => done(null));";
    let value = client.execute_async(script, vec![]).await.expect("read getStats");
    let field = |i: usize| value.get(i).and_then(serde_json::Value::as_str).map(str::to_owned);
    Some(LocalCandidate { candidate_type: field(0)?, relay_protocol: field(1).unwrap_or_default() })
}

/// The `candidateType` (`host`, `srflx`, `prflx`, `relay`) of [`selected_local_candidate`].
pub async fn selected_local_candidate_type(client: &fantoccini::Client) -> Option<String> {
    selected_local_candidate(client).await.map(|candidate| candidate.candidate_type)
}

/// A copy of the build with more files beside it; removed when dropped.
pub struct ExtendedDist(PathBuf);

impl Drop for ExtendedDist {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the dev server like [`devserver`] on a copy of the build with `files` (name, bytes)
/// added to the widget's origin (a music-on-hold file, say).
pub async fn devserver_with_files(files: &[(&str, &[u8])]) -> (devserver::Running, ExtendedDist) {
    let copy = std::env::temp_dir().join(format!("framephone-dist-{}-{}", std::process::id(), files.len()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(&dist_dir(), &copy).expect("copy the build");
    for (name, bytes) in files {
        std::fs::write(copy.join(name), bytes).expect("write the extra file");
    }
    let copy = ExtendedDist(copy);
    (serve_dist(copy.0.clone()).await, copy)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Saves a PNG of the whole browser window as `target/screenshots/<name>.png`, or as the
/// README's picture `docs/screenshots/<name>.png` when `FRAMEPHONE_DOCS_SCREENSHOTS` is set.
pub async fn screenshot(client: &fantoccini::Client, name: &str) {
    let docs = std::env::var_os("FRAMEPHONE_DOCS_SCREENSHOTS").is_some();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(if docs {
        "../../docs/screenshots"
    } else {
        "../../target/screenshots"
    });
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

/// Enters the widget's frame (`frame`: its CSS selector, `#openframe` or `#softphone`) from
/// wherever the client is in the host page.
pub async fn enter_widget(client: &fantoccini::Client, frame: &str) {
    client.enter_parent_frame().await.ok();
    let frame = client.find(fantoccini::Locator::Css(frame)).await.expect("the widget's frame");
    frame.enter_frame().await.expect("enter the widget's frame");
}

/// Fills the wrap-up form of the call with `party`: the disposition, the notes, then Done.
pub async fn wrap_up(client: &fantoccini::Client, party: &str, disposition: &str, notes: &str) {
    let name = format!("Wrap-up: {party}");
    let form = wait_for_role(client, "region", &name, PATIENCE).await.expect("the wrap-up form");
    let select = form.find(fantoccini::Locator::Css("select")).await.expect("the Disposition choice");
    select.select_by_label(disposition).await.expect("choose the disposition");
    let notes_box = by_role(client, "textbox", "Notes").await.expect("the Notes box");
    notes_box.send_keys(notes).await.unwrap();
    by_role(client, "button", "Done").await.unwrap().click().await.unwrap();
    eventually("the wrap-up form to close", || async { by_role(client, "region", &name).await.is_err().then_some(()) })
        .await;
}

/// Waits until the dial pad holds `number` (a number clicked in the CRM page).
pub async fn dial_pad_shows(client: &fantoccini::Client, number: &str) {
    eventually("the clicked number in the dial pad", || async {
        let value = by_role(client, "textbox", "Number").await.ok()?.prop("value").await.ok()??;
        (value == number).then_some(())
    })
    .await;
}

/// Types a lab user's credentials (`lab-USER-pw`) into the sign-in form and submits it.
pub async fn submit_sign_in(client: &fantoccini::Client, user: &str) {
    fill_sign_in(client, user).await.click().await.expect("click Sign in");
}

/// Types lab user `user`'s username and password into the sign-in form, and returns its
/// **Sign in** button, not yet clicked.
pub async fn fill_sign_in(client: &fantoccini::Client, user: &str) -> fantoccini::elements::Element {
    let username = wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the Username box");
    username.send_keys(user).await.expect("type the username");
    let password = by_role(client, "textbox", "Password").await.expect("the Password box");
    password.send_keys(&format!("lab-{user}-pw")).await.expect("type the password");
    by_role(client, "button", "Sign in").await.expect("the Sign in button")
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

/// How every call region's accessible name starts ("Call with Ana Díaz (1002), on hold").
pub const CALL_REGION: &str = "Call with ";

/// The first call in progress: the `region` named "Call with …".
pub async fn call_region(client: &fantoccini::Client) -> Result<fantoccini::elements::Element, String> {
    by_role_starting(client, "region", CALL_REGION).await
}

/// Waits up to `timeout` for a call in progress to show.
pub async fn wait_for_call_region(
    client: &fantoccini::Client,
    timeout: std::time::Duration,
) -> Result<fantoccini::elements::Element, String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match call_region(client).await {
            Ok(region) => return Ok(region),
            Err(error) if std::time::Instant::now() >= deadline => return Err(error),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

/// The whole text of the first call in progress, its closed **Call details** (the audio
/// packets) included.
pub async fn call_text(client: &fantoccini::Client) -> Option<String> {
    call_region(client).await.ok()?.prop("textContent").await.ok()?
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

/// A permission's state, as WebDriver "Set Permission" takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermissionState {
    /// As if the agent allowed it in the browser's prompt.
    Granted,
    /// As if the agent blocked it.
    Denied,
    /// Not decided: the page would be asked.
    Prompt,
}

impl PermissionState {
    fn as_str(self) -> &'static str {
        match self {
            PermissionState::Granted => "granted",
            PermissionState::Denied => "denied",
            PermissionState::Prompt => "prompt",
        }
    }
}

#[derive(Debug)]
struct SetPermission(&'static str, PermissionState);

impl fantoccini::wd::WebDriverCompatibleCommand for SetPermission {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/permissions", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "descriptor": { "name": self.0 }, "state": self.1.as_str() });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Grants the current page's origin a permission (`notifications`), as the agent would in the
/// browser's prompt (WebDriver "Set Permission").
pub async fn grant_permission(client: &fantoccini::Client, name: &'static str) {
    set_permission(client, name, PermissionState::Granted).await;
}

/// Sets a permission of the current page's origin (`microphone`, `notifications`) (WebDriver
/// "Set Permission"). A browser from [`Browser::start`] opens the microphone whatever its
/// permission says; one from [`Browser::start_with_media_permissions`] obeys it.
pub async fn set_permission(client: &fantoccini::Client, name: &'static str, state: PermissionState) {
    client.issue_cmd(SetPermission(name, state)).await.unwrap_or_else(|e| panic!("set {name} {state:?}: {e}"));
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

/// The caller types `number` into its Number box (emptied first) and calls it; the callee
/// answers and the caller shows Connected.
pub async fn dial_and_answer(caller: &fantoccini::Client, callee: &fantoccini::Client, number: &str) {
    let field = by_role(caller, "textbox", "Number").await.expect("the Number box");
    field.clear().await.expect("clear the Number box");
    field.send_keys(number).await.expect("type the number");
    call_and_answer(caller, callee).await;
}

/// The accessible name of the call-quality indicator on `client`'s page ("Call quality: good,
/// 4.3"), if a call shows one.
pub async fn call_quality(client: &fantoccini::Client) -> Option<String> {
    let script = "const q = document.querySelector('[role=img][aria-label^=\"Call quality\"]'); \
                  return q && q.getAttribute('aria-label');";
    client.execute(script, vec![]).await.ok()?.as_str().map(str::to_owned)
}

/// The caller clicks **Call** (its Number box is already filled), the callee answers, and the
/// caller shows Connected.
pub async fn call_and_answer(caller: &fantoccini::Client, callee: &fantoccini::Client) {
    by_role(caller, "button", "Call").await.expect("the Call button").click().await.expect("click Call");
    wait_for_role(callee, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(callee, "button", "Answer").await.expect("the Answer button").click().await.expect("click Answer");
    eventually("the call to connect", || async {
        let text = call_text(caller).await?;
        text.contains("Connected").then_some(())
    })
    .await;
}

/// `from` hangs up its call, and the other side's call ends too.
pub async fn hang_up(from: &fantoccini::Client, other: &fantoccini::Client) {
    by_role(from, "button", "Hang up").await.expect("the Hang up button").click().await.expect("click Hang up");
    eventually("the call to end", || async { call_region(other).await.is_err().then_some(()) }).await;
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

/// Keeps every RTCPeerConnection the page makes, from its next load on, in
/// `window.__peerConnections`, so that a test can read `getStats` as the browser reports it
/// (the widget keeps its own connections inside wasm).
pub async fn watch_peer_connections(client: &fantoccini::Client) {
    let source = "(() => { const Real = window.RTCPeerConnection; if (!Real) return; window.__peerConnections = [];
                  window.RTCPeerConnection = class extends Real {
                    constructor(...args) { super(...args); window.__peerConnections.push(this); } }; })()";
    devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": source })).await;
}

/// A fresh browser like [`signed_in_browser`], whose peer connections [`received_audio`] reads.
pub async fn signed_in_browser_watching_audio(widget: &str, user: &str) -> Browser {
    let browser = Browser::start().await;
    watch_peer_connections(&browser.client).await;
    browser.client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    sign_in(&browser.client, user).await;
    browser
}

/// The audio a page's newest open call has received so far (the connection kept ready for the
/// next call is not a call), from its `inbound-rtp` statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReceivedAudio {
    /// `packetsReceived`.
    pub packets: u64,
    /// `totalAudioEnergy`: the sum of the squared level (0 to 1) times each sample's duration.
    pub energy: f64,
    /// `totalSamplesDuration`, seconds.
    pub seconds: f64,
}

impl std::ops::Sub for ReceivedAudio {
    type Output = ReceivedAudio;

    fn sub(self, earlier: ReceivedAudio) -> ReceivedAudio {
        ReceivedAudio {
            packets: self.packets.saturating_sub(earlier.packets),
            energy: self.energy - earlier.energy,
            seconds: self.seconds - earlier.seconds,
        }
    }
}

/// What the newest open peer connection of a page opened with [`watch_peer_connections`] has
/// received (zero before any call).
pub async fn received_audio(client: &fantoccini::Client) -> ReceivedAudio {
    let script = "const done = arguments[arguments.length - 1];
        // A call's connection has the other side's description; the one kept ready has none.
        const open = (window.__peerConnections || [])
          .filter(pc => pc.connectionState !== 'closed' && pc.remoteDescription);
        if (!open.length) return done(null);
        open[open.length - 1].getStats().then(report => {
          let found = null;
          report.forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'audio')
            found = [s.packetsReceived || 0, s.totalAudioEnergy || 0, s.totalSamplesDuration || 0]; });
          done(found);
        }, () => done(null));";
    let value = client.execute_async(script, vec![]).await.expect("read getStats");
    let number = |i: usize| value.get(i).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
    ReceivedAudio { packets: number(0) as u64, energy: number(1), seconds: number(2) }
}

/// What a page's call receives over the next `window`.
pub async fn audio_received_over(client: &fantoccini::Client, window: std::time::Duration) -> ReceivedAudio {
    let before = received_audio(client).await;
    tokio::time::sleep(window).await;
    received_audio(client).await - before
}

/// How long each reading of the held party's audio lasts.
pub const LISTEN: std::time::Duration = std::time::Duration::from_secs(2);

/// Waits until `client`'s call hears the other side over one [`LISTEN`] window: packets and
/// energy both (the other browser's test voice). Returns what that window brought.
pub async fn hears(client: &fantoccini::Client, who: &str) -> ReceivedAudio {
    let heard = eventually(&format!("{who} to hear the other side"), || async {
        let heard = audio_received_over(client, LISTEN).await;
        (heard.packets >= 50 && heard.energy > 1e-4).then_some(heard)
    })
    .await;
    eprintln!("{who} heard {heard:?}");
    heard
}

/// The held party's received audio while the agent talks ([`hears`]), `when` said in the log.
pub async fn held_party_hears(client: &fantoccini::Client, when: &str) -> ReceivedAudio {
    hears(client, &format!("the held party, {when},")).await
}

/// During the hold the held party keeps receiving packets, and their energy stays under a
/// hundredth of what the agent's voice brought in the same time.
pub async fn held_party_hears_silence(client: &fantoccini::Client, heard: ReceivedAudio) {
    other_party_hears_silence(client, heard, "during the hold").await;
}

/// The other party keeps receiving packets, and their energy stays under a hundredth of what
/// the agent's voice brought in the same time.
pub async fn other_party_hears_silence(client: &fantoccini::Client, heard: ReceivedAudio, when: &str) {
    // Let the jitter buffer play out what was sent before (the tail of a sound once reached 1/500 of
    // the voice's energy after 0.5 s).
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let during = audio_received_over(client, LISTEN).await;
    eprintln!("other party, {when}: {during:?}");
    assert!(during.packets >= 50, "{when}, the other party gets silence, not a cut line: {during:?}");
    assert!(
        during.energy < heard.energy / 100.0,
        "{when}, the other party hears the agent: energy {:.6}, against {:.6} while talking",
        during.energy,
        heard.energy
    );
}

/// The energy (`totalAudioEnergy`) that the microphone has put into a page's newest open call
/// so far, as its `media-source` statistics say (zero before any call).
pub async fn sent_audio_energy(client: &fantoccini::Client) -> f64 {
    let script = "const done = arguments[arguments.length - 1];
        const open = (window.__peerConnections || [])
          .filter(pc => pc.connectionState !== 'closed' && pc.remoteDescription);
        if (!open.length) return done(0);
        open[open.length - 1].getStats().then(report => {
          let found = 0;
          report.forEach(s => { if (s.type === 'media-source' && s.kind === 'audio') found = s.totalAudioEnergy || 0; });
          done(found);
        }, () => done(0));";
    let value = client.execute_async(script, vec![]).await.expect("read getStats");
    value.as_f64().unwrap_or(0.0)
}

/// After Resume the held party hears the agent again: over one [`LISTEN`] window it receives at
/// least a quarter of the energy that the agent's microphone put into the call in that window.
/// Measured against the agent's own microphone, not against a reading from before the hold:
/// Chromium's audio processing lowers the microphone's level in a call's first seconds (to a
/// quarter or less of the first two seconds' energy), so an early reading overstates it.
/// Both pages must watch their peer connections ([`watch_peer_connections`]).
pub async fn held_party_hears_again(held: &fantoccini::Client, agent: &fantoccini::Client) {
    eventually("the other party to hear the agent after Resume", || async {
        let (received, said) = (received_audio(held).await, sent_audio_energy(agent).await);
        tokio::time::sleep(LISTEN).await;
        let received = received_audio(held).await - received;
        let said = sent_audio_energy(agent).await - said;
        eprintln!("held party, after Resume: {received:?}; the agent's microphone gave {said:.6}");
        (said > 1e-4 && received.energy > said / 4.0).then_some(())
    })
    .await;
}

/// Waits until the page's element `css` (in the current frame) contains `text`.
pub async fn page_shows(client: &fantoccini::Client, css: &str, text: &str) {
    eventually(&format!("{css} to show {text:?}"), || async {
        let shown = client.find(fantoccini::Locator::Css(css)).await.ok()?.text().await.ok()?;
        shown.contains(text).then_some(())
    })
    .await;
}

/// Answers the ringing call, lets it run until audio flows both ways, and hangs up.
pub async fn answer_talk_and_hang_up(client: &fantoccini::Client) {
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(client, "button", "Answer").await.expect("Answer").click().await.expect("click Answer");
    eventually("audio both ways", || async {
        let text = call_text(client).await?;
        let (sent, received) = audio_packets(&text);
        (sent >= 10 && received >= 10).then_some(())
    })
    .await;
    by_role(client, "button", "Hang up").await.expect("Hang up").click().await.expect("click Hang up");
}
