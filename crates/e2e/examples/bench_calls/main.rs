//! Calling benchmarks in headless Chromium against the SIP and TURN lab (`scripts/bench-calls.sh`
//! starts both): the widget beside a JsSIP-based phone, step by step (`steps`, `STEP_ROUNDS`
//! rounds, default 10); cold load of the widget to an interactive dial pad, sign-in to Registered, and
//! click to INVITE on the wire with a dead STUN server configured; then a soak of consecutive
//! answered calls (`SOAK_CALLS`, default 500, after `SOAK_WARMUP` calls, default 100) with what
//! both pages hold (`soak.rs`); then the widget beside JsSIP with a STUN/TURN server healthy, slow
//! and dead (`networks`, `NETWORK_CALLS` calls each, default 20).
//! `hosts` (not run by default): page load to an interactive phone in each host view
//! (`HOST_LOADS` cold loads each, default 10).
//! `BENCH_PARTS` (default `steps,calls,soak,networks`) picks the parts. Figures come from the pages
//! themselves (the widget's User Timing marks `framephone:*`, or the recorder both phones'
//! pages share), so they measure the page, not WebDriver.

mod hosts;
mod networks;
mod pages;
mod soak;
mod stats;
mod steps;

use std::net::SocketAddr;

use e2e::{
    Browser, Impairment, PATIENCE, TurnLab, UdpRelay, by_role, devserver, eventually, submit_sign_in, wait_for_role,
};
use fantoccini::Client;
use stats::Spread;

const LOADS: usize = 15;
const CALLS: usize = 20;

/// Milliseconds from the last `from` mark (or navigation start) to the last `to` mark, once
/// `to` follows `from`.
async fn measure(client: &Client, from: Option<&str>, to: &str) -> f64 {
    let script = "const last = n => { const e = performance.getEntriesByName('framephone:' + n); \
                  return e.length ? e[e.length - 1].startTime : null; }; \
                  const to = last(arguments[1]); const from = arguments[0] === null ? 0 : last(arguments[0]); \
                  return (to === null || from === null || to < from) ? null : to - from;";
    let args = vec![from.map_or(serde_json::Value::Null, Into::into), to.into()];
    eventually(&format!("the mark {to}"), || async { client.execute(script, args.clone()).await.ok()?.as_f64() }).await
}

/// Signs in and returns how long the registration took.
async fn sign_in(client: &Client, user: &str) -> f64 {
    submit_sign_in(client, user).await;
    measure(client, Some("sign-in"), "registered").await
}

fn summary(name: &str, values: &[f64]) {
    if let Some(s) = Spread::of(values) {
        println!("| {name} | {} | {:.1} ms | {:.1} ms | {:.1} ms |", s.runs, s.median, s.min, s.max);
    }
}

/// A number from the environment, else `default`.
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let parts = std::env::var("BENCH_PARTS").unwrap_or_else(|_| "steps,calls,soak,networks".into());
    let part = |name: &str| parts.split(',').any(|p| p.trim() == name);
    let jssip = || {
        std::env::var_os("JSSIP_BUNDLE")
            .expect("JSSIP_BUNDLE names JsSIP's browser bundle (scripts/bench-calls.sh builds it)")
    };
    if part("steps") {
        let site = pages::JsSipSite::start(std::path::Path::new(&jssip())).await;
        steps::run(setting("STEP_ROUNDS", 10), &site).await;
        println!();
    }
    if part("calls") {
        calls().await;
    }
    if part("hosts") {
        println!();
        hosts::run(setting("HOST_LOADS", 10)).await;
    }
    if part("soak") {
        println!();
        soak::run(setting("SOAK_CALLS", 500), setting("SOAK_WARMUP", 100)).await;
    }
    if part("networks") {
        println!();
        networks::run(setting("NETWORK_CALLS", 20), std::path::Path::new(&jssip())).await;
    }
}

/// Cold loads, sign-ins, and calls declined at once.
async fn calls() {
    let server = devserver().await;
    // A STUN server that is down: a relay in front of the lab's coturn that drops every packet.
    let dead = UdpRelay::start(SocketAddr::from(([127, 0, 0, 1], TurnLab::from_env().port))).await;
    dead.set(Impairment { black_hole: true, ..Impairment::default() });
    server.amend_config(serde_json::json!({ "ice": { "servers": [{ "urls": format!("stun:{}", dead.addr) }] } }));
    let url = format!("{}/", server.widget);

    let mut loads = Vec::new();
    let mut registrations = Vec::new();
    for _ in 0..LOADS {
        let browser = Browser::start().await;
        browser.client.goto(&url).await.unwrap();
        loads.push(measure(&browser.client, None, "interactive").await);
        registrations.push(sign_in(&browser.client, "1001").await);
        browser.close().await;
    }

    let caller = Browser::start().await;
    let callee = Browser::start().await;
    let (a, b) = (&caller.client, &callee.client);
    for (client, user) in [(a, "1001"), (b, "1002")] {
        client.goto(&url).await.unwrap();
        sign_in(client, user).await;
    }
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002").await.unwrap();
    let (mut invites, mut ringing) = (Vec::new(), Vec::new());
    for _ in 0..CALLS {
        by_role(a, "button", "Call").await.unwrap().click().await.unwrap();
        wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.unwrap();
        invites.push(measure(a, Some("dial"), "invite").await);
        ringing.push(measure(a, Some("invite"), "ringing").await);
        by_role(b, "button", "Decline").await.unwrap().click().await.unwrap();
        eventually("the call to end", || async { e2e::call_region(a).await.is_err().then_some(()) }).await;
    }
    println!("| measure | runs | median | min | max |");
    println!("|---|---|---|---|---|");
    summary("cold load to an interactive dial pad (navigation start → first render)", &loads);
    summary("Sign in → Registered (REGISTER, 401, REGISTER, 200)", &registrations);
    summary("Call click → INVITE sent, dead STUN server configured", &invites);
    summary("INVITE sent → 180 Ringing received (caller)", &ringing);
    caller.close().await;
    callee.close().await;
}
