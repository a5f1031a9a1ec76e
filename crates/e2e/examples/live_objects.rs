//! What stays alive in the pages as calls come and go: the count of live JS objects of a few
//! kinds (DevTools `Runtime.queryObjects`, which collects garbage first) in the caller's and the
//! callee's page, after every `CALLS_PER_ROUND` answered calls. The callee answers and hangs up
//! (clicks inside its call views); the caller only dials. Needs the lab (`LAB_WS_PORT`) and a
//! release build in `dist/`:
//!
//! ```sh
//! LAB_DIR=/tmp/objects-lab LAB_UDP_PORT=25060 LAB_WS_PORT=28088 scripts/lab.sh start
//! LAB_WS_PORT=28088 cargo run -p e2e --example live_objects
//! ```

use e2e::{Browser, PATIENCE, by_role, devserver, devtools_result, eventually, submit_sign_in, wait_for_role};
use fantoccini::Client;

const ROUNDS: usize = 3;
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
    counts.join(" ")
}

#[tokio::main]
async fn main() {
    let server = devserver().await;
    let url = format!("{}/", server.widget);
    let (caller, callee) = (Browser::start().await, Browser::start().await);
    let (a, b) = (&caller.client, &callee.client);
    for (client, user) in [(a, "1001"), (b, "1002")] {
        client.goto(&url).await.unwrap();
        submit_sign_in(client, user).await;
    }
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002").await.unwrap();
    for round in 0..=ROUNDS {
        println!("after {:>3} calls: caller {}", round * CALLS_PER_ROUND, live_objects(a).await);
        println!("after {:>3} calls: callee {}", round * CALLS_PER_ROUND, live_objects(b).await);
        if round == ROUNDS {
            break;
        }
        for _ in 0..CALLS_PER_ROUND {
            by_role(a, "button", "Call").await.unwrap().click().await.unwrap();
            wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.unwrap();
            by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
            eventually("the call to connect", || async {
                let text = by_role(a, "region", "Active call").await.ok()?.text().await.ok()?;
                text.contains("Connected").then_some(())
            })
            .await;
            by_role(b, "button", "Hang up").await.unwrap().click().await.unwrap();
            eventually("the call to end", || async {
                by_role(a, "region", "Active call").await.is_err().then_some(())
            })
            .await;
        }
    }
    caller.close().await;
    callee.close().await;
}
