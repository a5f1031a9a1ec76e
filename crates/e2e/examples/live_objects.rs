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

use e2e::{
    Browser, Holdings, answered_call_by_script, by_role, call_and_answer, devserver, hang_up, keep_wasm_module, sign_in,
};

const CALLS_PER_ROUND: usize = 20;

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
        println!("after {:>3} calls: caller {}", round * CALLS_PER_ROUND, Holdings::read(a, true).await);
        println!("after {:>3} calls: callee {}", round * CALLS_PER_ROUND, Holdings::read(b, true).await);
        if round == rounds {
            // Transactions outlive their calls by 32 s (RFC 6026's Accepted state): `SETTLE`
            // seconds later, what remains is what is kept for good.
            let settle: u64 = std::env::var("SETTLE").ok().and_then(|n| n.parse().ok()).unwrap_or(0);
            if settle > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(settle)).await;
                println!("{settle} s later: caller {}", Holdings::read(a, true).await);
                println!("{settle} s later: callee {}", Holdings::read(b, true).await);
            }
            break;
        }
        for _ in 0..CALLS_PER_ROUND {
            if by_script {
                answered_call_by_script(a, b).await;
            } else {
                call_and_answer(a, b).await;
                hang_up(b, a).await;
            }
        }
    }
    caller.close().await;
    callee.close().await;
}
