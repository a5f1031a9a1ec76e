//! What stays alive in the pages as calls come and go: the count of live JS objects of a few
//! kinds (DevTools `Runtime.queryObjects`, which collects garbage first), the JS heap and the
//! wasm memory of the caller's and the callee's page, after every 20 answered calls (`ROUNDS`
//! rounds, default 3). The callee answers and hangs up; the caller dials. Clicks go through
//! WebDriver element lookups, or with `BY_SCRIPT=1` through the page's own script, since
//! ChromeDriver keeps every element it hands out alive; `SETTLE=40` reads once more 40 s after
//! the last call. Needs the lab and a release build in `dist/` (built with
//! `TRUNK_BUILD_FEATURES=heap-count` it also shows the live wasm heap and what the agent holds):
//!
//! ```sh
//! LAB_DIR=/tmp/objects-lab LAB_UDP_PORT=25060 LAB_WS_PORT=28088 scripts/lab.sh start
//! LAB_WS_PORT=28088 BY_SCRIPT=1 ROUNDS=9 cargo run -p e2e --example live_objects
//! ```

use e2e::{Browser, by_role, call_and_answer, devserver, devtools_result, hang_up, keep_wasm_module, sign_in};
use fantoccini::Client;

const CALLS_PER_ROUND: usize = 20;
const KINDS: [&str; 6] = ["HTMLButtonElement", "HTMLElement", "Text", "Object", "Array", "Function"];

/// "Kind=count …" for the page of `client`.
async fn live_objects(client: &Client) -> String {
    let mut counts = Vec::new();
    for kind in KINDS {
        let prototype = serde_json::json!({ "expression": format!("{kind}.prototype") });
        let prototype = devtools_result(client, "Runtime.evaluate", prototype).await;
        let Some(id) = prototype["result"]["objectId"].as_str() else { continue };
        let found =
            devtools_result(client, "Runtime.queryObjects", serde_json::json!({ "prototypeObjectId": id })).await;
        let Some(array) = found["objects"]["objectId"].as_str() else { continue };
        let length = serde_json::json!({
            "objectId": array, "functionDeclaration": "function () { return this.length }", "returnByValue": true
        });
        let length = devtools_result(client, "Runtime.callFunctionOn", length).await;
        counts.push(format!("{kind}={}", length["result"]["value"]));
    }
    // The live wasm heap is there only in a build with the `heap-count` feature.
    let memory = "const heap = window.wasmBindings.live_heap ? [...window.wasmBindings.live_heap()] : [0, 0]; \
                  return [performance.memory.usedJSHeapSize, window.__wasm ? window.__wasm.memory.buffer.byteLength : 0, \
                  heap[0], heap[1]]";
    let memory = client.execute(memory, vec![]).await.unwrap_or_default();
    let megabytes = |i: usize| memory[i].as_f64().unwrap_or(0.0) / 1e6;
    counts.push(format!("JS heap {:.2} MB, wasm memory {:.2} MB", megabytes(0), megabytes(1)));
    let entries = client.execute("return document.querySelectorAll('.fp-history__entry').length", vec![]).await;
    counts.push(format!("history entries shown {}", entries.unwrap_or_default()));
    if memory[3].as_u64().unwrap_or(0) > 0 {
        counts.push(format!("live wasm heap {:.3} MB in {} allocations", megabytes(2), memory[3]));
        let holds = client.execute("return window.wasmBindings.phone_holds()", vec![]).await.unwrap_or_default();
        counts.push(format!("phone: {}", holds.as_str().unwrap_or_default()));
    }
    counts.join(" ")
}

/// Clicks the button whose text is `name` from the page's own script: no element reference
/// reaches WebDriver (ChromeDriver keeps every element it has handed out alive).
async fn click_button(client: &Client, name: &str) {
    let script = "const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === arguments[0]); \
                  if (b) { b.click(); } return !!b;";
    e2e::eventually(&format!("the {name} button"), || async {
        client.execute(script, vec![name.into()]).await.ok()?.as_bool().filter(|found| *found)
    })
    .await;
}

async fn wait_for_script(client: &Client, condition: &str) {
    let script = format!("return {condition};");
    e2e::eventually(condition, || async { client.execute(&script, vec![]).await.ok()?.as_bool().filter(|ok| *ok) })
        .await;
}

#[tokio::main]
async fn main() {
    let server = devserver().await;
    let url = format!("{}/", server.widget);
    let (caller, callee) = (Browser::start().await, Browser::start().await);
    let (a, b) = (&caller.client, &callee.client);
    let by_script = std::env::var_os("BY_SCRIPT").is_some();
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    for (client, user) in [(a, "1001"), (b, "1002")] {
        keep_wasm_module(client).await;
        client.goto(&url).await.unwrap();
        sign_in(client, user).await;
    }
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002").await.unwrap();
    for round in 0..=rounds {
        println!("after {:>3} calls: caller {}", round * CALLS_PER_ROUND, live_objects(a).await);
        println!("after {:>3} calls: callee {}", round * CALLS_PER_ROUND, live_objects(b).await);
        if round == rounds {
            // Transactions outlive their calls by 32 s (RFC 6026's Accepted state): `SETTLE`
            // seconds later, what remains is what is kept for good.
            let settle: u64 = std::env::var("SETTLE").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
            if settle > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(settle)).await;
                println!("{settle} s later: caller {}", live_objects(a).await);
                println!("{settle} s later: callee {}", live_objects(b).await);
            }
            break;
        }
        for _ in 0..CALLS_PER_ROUND {
            if by_script {
                click_button(a, "Call").await;
                wait_for_script(b, "!!document.querySelector('[role=alertdialog]')").await;
                click_button(b, "Answer").await;
                wait_for_script(a, "(document.querySelector('section[aria-label=\"Active call\"]') || {}).textContent?.includes('Connected') || false").await;
                click_button(b, "Hang up").await;
                wait_for_script(a, "!document.querySelector('section[aria-label=\"Active call\"]')").await;
            } else {
                call_and_answer(a, b).await;
                hang_up(b, a).await;
            }
        }
    }
    caller.close().await;
    callee.close().await;
}
