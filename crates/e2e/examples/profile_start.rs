//! Where the widget's own time goes while an agent signs in and while the page opens again from
//! the browser's cache, until the WebSocket's open event (which sends the REGISTER at once): the
//! DevTools CPU profiler samples the page every 50 µs through `ROUNDS` sign-ins (default 10),
//! then through as many warm reloads, and the functions that took the most before the first
//! sample inside the socket's open handler (`framephone::phone::transport::Flow::open`; or the
//! function `PROFILE_UNTIL` names, or with it empty the whole profile) are printed, by their
//! own time and with what they called, then the last round in time order. Needs the lab, and
//! a build that keeps the wasm's names in `PROFILE_DIST` (else `dist/`, whose wasm shows only
//! function indices; `TRUNK_BUILD_FEATURES=heap-count` before `trunk` makes the same build for
//! the soak's `SOAK_TRACE_SIZE`, with `SOAK_DIST`):
//!
//! ```sh
//! sed -e 's/data-wasm-opt="s"/data-wasm-opt="0"/' -e '/data-wasm-opt-params/d' index.html > .names.html
//! CARGO_PROFILE_RELEASE_STRIP=false trunk build --release --dist target/dist-names .names.html
//! rm .names.html
//! cargo run -p devserver --bin deploy-headers -- target/dist-names framephone.example.json
//! scripts/lab.sh start
//! PROFILE_DIST=target/dist-names cargo run --release -p e2e --example profile_start
//! ```
//!
//! Without `wasm-opt` and with names kept the module is larger and slower than a release: the
//! shares, not the milliseconds, are what to read.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use e2e::{Browser, by_role, devtools_result, fill_sign_in, keep_wasm_module, sign_in, wait_for_status};
use fantoccini::Client;
use serde_json::{Value, json};

/// Functions listed per profile.
const SHOWN: usize = 30;
/// A function of the socket's open handler: each profile is read up to its first sample in it.
const UNTIL: &str = "transport::Flow::open";

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(10);
    let dist = std::env::var_os("PROFILE_DIST").map_or_else(e2e::dist_dir, PathBuf::from);
    let server = e2e::serve_dist(dist).await;
    let url = format!("{}/", server.widget);
    let browser = Browser::start().await;
    let client = &browser.client;
    keep_wasm_module(client).await;
    client.goto(&url).await.expect("open the widget");
    sign_in(client, "1001").await;
    devtools_result(client, "Profiler.enable", json!({})).await;
    devtools_result(client, "Profiler.setSamplingInterval", json!({ "interval": 50 })).await;

    let mut signing_in = Vec::new();
    for _ in 0..rounds {
        by_role(client, "button", "Sign out").await.expect("Sign out").click().await.expect("click Sign out");
        let button = fill_sign_in(client, "1001").await;
        devtools_result(client, "Profiler.start", json!({})).await;
        button.click().await.expect("click Sign in");
        wait_for_status(client, "Registered as 1001").await;
        signing_in.push(stop(client).await);
    }
    report("Sign in click → the socket's open event", &signing_in);
    if let Some(last) = signing_in.last() {
        timeline("Sign in click → the socket's open event", last);
    }

    let mut reloading = Vec::new();
    for _ in 0..rounds {
        devtools_result(client, "Profiler.start", json!({})).await;
        client.goto(&url).await.expect("open the widget again");
        wait_for_status(client, "Registered as 1001").await;
        reloading.push(stop(client).await);
    }
    report("Warm reload → the socket's open event", &reloading);
    if let Some(last) = reloading.last() {
        timeline("Warm reload → the socket's open event", last);
    }
    browser.close().await;
}

async fn stop(client: &Client) -> Value {
    devtools_result(client, "Profiler.stop", json!({})).await["profile"].take()
}

/// Milliseconds per function, summed over `profiles`: its own, and with what it called.
#[derive(Default)]
struct Times {
    own: HashMap<String, f64>,
    total: HashMap<String, f64>,
    all: f64,
}

fn report(title: &str, profiles: &[Value]) {
    let mut times = Times::default();
    for profile in profiles {
        add(profile, &mut times);
    }
    let rounds = profiles.len().max(1) as f64;
    println!("\n## {title}: {:.1} ms sampled per round (idle and GC included)\n", times.all / rounds);
    for (heading, table) in [("own time", &times.own), ("with what it called", &times.total)] {
        let mut ranked: Vec<(&String, &f64)> = table.iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(a.1));
        println!("| function | {heading}, ms per round |\n|---|---|");
        for (name, ms) in ranked.into_iter().take(SHOWN) {
            println!("| {name} | {:.2} |", ms / rounds);
        }
        println!();
    }
}

/// Adds one CPU profile's samples to `times`.
fn add(profile: &Value, times: &mut Times) {
    for (ms, stack) in samples(profile) {
        times.all += ms;
        if let Some(name) = stack.first() {
            *times.own.entry(name.clone()).or_default() += ms;
        }
        let unique: BTreeSet<String> = stack.into_iter().collect();
        for name in unique {
            *times.total.entry(name).or_default() += ms;
        }
    }
}

/// Prints `profile` in time order: each run of samples under the same innermost function of
/// the widget's (or the same browser function, when no widget function is on the stack), with
/// when it began, for runs of at least 0.1 ms.
fn timeline(title: &str, profile: &Value) {
    println!("\n## {title}, the last round in time order\n\n| from, ms | for, ms | where |\n|---|---|---|");
    let label = |stack: &[String]| {
        let ours = stack.iter().find(|name| name.starts_with("framephone::") || name.contains("<framephone::"));
        ours.or(stack.first()).cloned().unwrap_or_default()
    };
    let (mut at, mut run_start, mut run_ms, mut run_label) = (0.0, 0.0, 0.0, String::new());
    for (ms, stack) in samples(profile) {
        let this = label(&stack);
        if this != run_label {
            if run_ms >= 0.1 {
                println!("| {run_start:.1} | {run_ms:.1} | {run_label} |");
            }
            (run_start, run_ms, run_label) = (at, 0.0, this);
        }
        run_ms += ms;
        at += ms;
    }
    if run_ms >= 0.1 {
        println!("| {run_start:.1} | {run_ms:.1} | {run_label} |");
    }
}

/// A profile's samples, each one's length in milliseconds and its stack (innermost first), up
/// to the first whose stack holds a function named like `PROFILE_UNTIL` (default [`UNTIL`];
/// empty: the whole profile).
fn samples(profile: &Value) -> Vec<(f64, Vec<String>)> {
    let until = std::env::var("PROFILE_UNTIL").unwrap_or_else(|_| UNTIL.to_owned());
    let empty = Vec::new();
    let nodes = profile["nodes"].as_array().unwrap_or(&empty);
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut parent: HashMap<u64, u64> = HashMap::new();
    for node in nodes {
        let id = node["id"].as_u64().unwrap_or(0);
        let frame = &node["callFrame"];
        let function = frame["functionName"].as_str().filter(|n| !n.is_empty()).unwrap_or("(anonymous)");
        let file = frame["url"].as_str().unwrap_or("").rsplit('/').next().unwrap_or("");
        let name = if file.is_empty() { function.to_owned() } else { format!("{function} ({file})") };
        names.insert(id, name);
        for child in node["children"].as_array().unwrap_or(&empty) {
            parent.insert(child.as_u64().unwrap_or(0), id);
        }
    }
    let samples = profile["samples"].as_array().unwrap_or(&empty);
    let deltas = profile["timeDeltas"].as_array().unwrap_or(&empty);
    let mut taken = Vec::new();
    // A sample's time is the delta that follows it.
    for (index, sample) in samples.iter().enumerate() {
        let ms = deltas.get(index + 1).and_then(Value::as_f64).unwrap_or(0.0) / 1000.0;
        let mut stack = Vec::new();
        let mut id = sample.as_u64().unwrap_or(0);
        while let Some(name) = names.get(&id) {
            stack.push(name.clone());
            match parent.get(&id) {
                Some(&up) => id = up,
                None => break,
            }
        }
        if !until.is_empty() && stack.iter().any(|name| name.contains(&until)) {
            break;
        }
        taken.push((ms, stack));
    }
    taken
}
