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
