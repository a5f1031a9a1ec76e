//! The soak: answered calls back to back from one widget to another, driven from the pages' own
//! scripts (ChromeDriver would keep every element it hands out alive), with what each page holds
//! after a garbage collection: once the warm-up calls have filled the history to its cap and
//! their transactions have ended (the baseline), then right after the soak's last call and every
//! 20 s for a minute. Served from `SOAK_DIST` when set (a build with the `heap-count` feature also
//! shows the live wasm heap), else the release build. `SOAK_HOST=lightning` runs both phones
//! inside the Salesforce Lightning emulator, where each call's log is delivered as a Task; the
//! phone opened on its own keeps the logs for a CRM window that never comes. Inside the host the
//! JS heap is the whole page's (the emulator's too) and the buttons counted are the host page's.
//! `SOAK_TRACE_SIZE=n` (a `heap-count` build) notes where each wasm allocation of n bytes made
//! after the baseline was made, and prints the places that still hold the most at the end.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use e2e::{
    Browser, Holdings, answered_call_by_script, by_role, devtools_result, enter_widget, keep_wasm_module, sign_in,
};
use fantoccini::Client;

/// RFC 6026's Accepted state keeps an INVITE transaction 32 s after its call: a read this long
/// after the last call sees only what is kept for good.
const TRANSACTIONS_END: Duration = Duration::from_secs(35);

/// Counts the page's live RTCPeerConnections from its first script on.
const COUNT_PEER_CONNECTIONS: &str = "window.__pcs = { made: 0, closed: 0 }; const Real = RTCPeerConnection; \
    window.RTCPeerConnection = function (c) { const pc = new Real(c); window.__pcs.made++; \
    const close = pc.close.bind(pc); pc.close = () => { window.__pcs.closed++; close(); }; return pc; }; \
    window.RTCPeerConnection.prototype = Real.prototype;";

/// One read of a page.
struct Read {
    label: String,
    holdings: Holdings,
    peer_connections: i64,
}

async fn read(client: &Client, label: String) -> Read {
    let holdings = Holdings::read(client, true).await;
    let live = client.execute("return window.__pcs ? window.__pcs.made - window.__pcs.closed : -1", vec![]).await;
    Read { label, holdings, peer_connections: live.ok().and_then(|v| v.as_i64()).unwrap_or(-1) }
}

/// Runs `warmup` calls, waits for their transactions to end, then `calls` more.
pub async fn run(calls: usize, warmup: usize) {
    let dist = std::env::var_os("SOAK_DIST").map_or_else(e2e::dist_dir, PathBuf::from);
    let server = e2e::serve_dist(dist.clone()).await;
    let inside_lightning = std::env::var("SOAK_HOST").is_ok_and(|host| host == "lightning");
    let url = match inside_lightning {
        true => format!("{}/lightning", server.salesforce),
        false => format!("{}/", server.widget),
    };
    let (caller, callee) = (Browser::start().await, Browser::start().await);
    let pages = [("caller", &caller.client, "1001"), ("callee", &callee.client, "1002")];
    for (_, client, user) in pages {
        keep_wasm_module(client).await;
        let source = serde_json::json!({ "source": COUNT_PEER_CONNECTIONS });
        devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", source).await;
        client.goto(&url).await.expect("open the widget");
        if inside_lightning {
            enter_widget(client, "#softphone").await;
        }
        sign_in(client, user).await;
    }
    let (a, b) = (&caller.client, &callee.client);
    by_role(a, "textbox", "Number").await.expect("the Number box").send_keys("1002").await.expect("type");

    let place = if inside_lightning { "inside Salesforce Lightning" } else { "on its own" };
    println!("Soak ({}, {place}): {warmup} warm-up calls, then {calls}", dist.display());
    for _ in 0..warmup {
        answered_call_by_script(a, b).await;
    }
    tokio::time::sleep(TRANSACTIONS_END).await;
    let mut reads: Vec<(&str, Read)> = Vec::new();
    for (page, client, _) in pages {
        reads.push((page, read(client, format!("after {warmup} calls and {} s", TRANSACTIONS_END.as_secs())).await));
    }
    let traced = std::env::var("SOAK_TRACE_SIZE").ok().and_then(|size| size.parse::<u32>().ok());
    if let Some(size) = traced {
        for (_, client, _) in pages {
            let _ = client.execute("window.wasmBindings.trace_size(arguments[0])", vec![size.into()]).await;
        }
    }
    let started = Instant::now();
    for n in 1..=calls {
        answered_call_by_script(a, b).await;
        if n % 100 == 0 {
            println!("  {n} calls in {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    let took = started.elapsed();
    let ended = Instant::now();
    for wait in [0, 20, 40, 60] {
        tokio::time::sleep((ended + Duration::from_secs(wait)).saturating_duration_since(Instant::now())).await;
        for (page, client, _) in pages {
            reads.push((page, read(client, format!("{wait} s after the last call")).await));
        }
    }
    print_reads(calls, took, &reads);
    if let Some(size) = traced {
        for (page, client, _) in pages {
            let sites = client.execute("return window.wasmBindings.traced_sites()", vec![]).await;
            let sites = sites.ok().and_then(|s| s.as_str().map(str::to_owned)).unwrap_or_default();
            println!("{page}: where the live allocations of {size} bytes made during the soak were made:\n{sites}");
        }
    }
    caller.close().await;
    callee.close().await;
}

fn print_reads(calls: usize, took: Duration, reads: &[(&str, Read)]) {
    println!(
        "{calls} answered calls in {:.0} s ({:.2} s each).",
        took.as_secs_f64(),
        took.as_secs_f64() / calls as f64
    );
    println!();
    println!(
        "| page | read | JS heap | live wasm heap | wasm memory | buttons alive | history shown | logs waiting | peer connections |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let megabytes = |bytes: u64| format!("{:.3} MB", bytes as f64 / 1e6);
    for (page, read) in reads {
        let h = &read.holdings;
        let buttons = h.objects.iter().find(|(kind, _)| *kind == "HTMLButtonElement").map_or(0, |(_, n)| *n);
        let live = h.wasm_live.map_or("not counted".to_owned(), |(bytes, n)| format!("{} ({n})", megabytes(bytes)));
        println!(
            "| {page} | {} | {} | {live} | {} | {buttons} | {} | {} | {} |",
            read.label,
            megabytes(h.js_heap),
            megabytes(h.wasm_memory),
            h.history_entries,
            h.logs_waiting,
            read.peer_connections
        );
    }
    println!();
    for (page, read) in reads.iter().rev().take(2) {
        let h = &read.holdings;
        println!("{page}, {}: detached buttons alive {:?}", read.label, h.detached_buttons);
        if let Some(phone) = &h.phone {
            println!("{page}, {}: the phone holds {phone}", read.label);
        }
    }
    for page in ["caller", "callee"] {
        let of_page: Vec<&Read> = reads.iter().filter(|(p, _)| *p == page).map(|(_, r)| r).collect();
        let (Some(first), Some(last)) = (of_page.first(), of_page.last()) else { continue };
        let change = |after: u64, before: u64| 100.0 * (after as f64 - before as f64) / before.max(1) as f64;
        print!(
            "{page}: JS heap {:+.1} % a minute after the last call (target within 10 %)",
            change(last.holdings.js_heap, first.holdings.js_heap)
        );
        if let (Some((start, _)), Some((end, _))) = (first.holdings.wasm_live, last.holdings.wasm_live) {
            print!("; live wasm heap {:+.1} % (target back to the baseline)", change(end, start));
        }
        println!();
        let grown = grown_sizes(&first.holdings.wasm_sizes, &last.holdings.wasm_sizes);
        if !grown.is_empty() {
            println!("{page}: live wasm allocations that grew, by size (bytes: more): {grown:?}");
        }
    }
}

/// The allocation sizes with more live allocations in `after` than in `before`, most first.
fn grown_sizes(before: &[(u64, u64)], after: &[(u64, u64)]) -> Vec<(u64, i64)> {
    let count_in = |sizes: &[(u64, u64)], size: u64| sizes.iter().find(|(s, _)| *s == size).map_or(0, |(_, n)| *n);
    let mut grown: Vec<(u64, i64)> = after
        .iter()
        .map(|(size, n)| (*size, *n as i64 - count_in(before, *size) as i64))
        .filter(|(_, more)| *more > 0)
        .collect();
    grown.sort_by_key(|(_, more)| std::cmp::Reverse(*more));
    grown.truncate(16);
    grown
}
