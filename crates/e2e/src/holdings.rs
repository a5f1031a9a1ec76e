//! What a page holds in memory, for the soak and the live-object report, and calls driven from
//! the page's own script: ChromeDriver keeps every element it hands out alive until the page
//! goes, so a long run driven through WebDriver lookups measures ChromeDriver, not the widget.

use std::fmt;

use fantoccini::Client;

use crate::{devtools_result, eventually};

/// The kinds of JS object counted.
const KINDS: [&str; 6] = ["HTMLButtonElement", "HTMLElement", "Text", "Object", "Array", "Function"];

/// One page's memory, read after a garbage collection.
#[derive(Clone, Debug, Default)]
pub struct Holdings {
    /// Live objects of each of [`KINDS`], when counted.
    pub objects: Vec<(&'static str, u64)>,
    /// The JS heap in use (`performance.memory.usedJSHeapSize`), bytes.
    pub js_heap: u64,
    /// The wasm module's linear memory, bytes (it never shrinks: its high-water mark).
    pub wasm_memory: u64,
    /// Bytes and allocations live on the wasm heap (a build with the `heap-count` feature).
    pub wasm_live: Option<(u64, u64)>,
    /// What the phone held (a build with the `heap-count` feature).
    pub phone: Option<String>,
    /// Live wasm allocations by size in bytes, `(size, count)` (a build with the `heap-count`
    /// feature; 1024 stands for 1024 bytes and more).
    pub wasm_sizes: Vec<(u64, u64)>,
    /// History entries shown.
    pub history_entries: u64,
    /// Call logs waiting for a CRM, as the Activity list counts them.
    pub logs_waiting: u64,
    /// Buttons alive but no longer in the page, by their text (when objects are counted).
    pub detached_buttons: Vec<(String, u64)>,
}

impl Holdings {
    /// Reads the page of `client`, counting objects by kind when `count_objects` (slower: each
    /// kind is a heap walk).
    pub async fn read(client: &Client, count_objects: bool) -> Holdings {
        devtools_result(client, "HeapProfiler.collectGarbage", serde_json::json!({})).await;
        let mut objects = Vec::new();
        for kind in if count_objects { &KINDS[..] } else { &[] } {
            if let Some(count) = live_objects_of(client, kind, "function () { return this.length }").await {
                objects.push((*kind, count.as_u64().unwrap_or(0)));
            }
        }
        let detached = "function () { const by = {}; for (const b of this) { if (!b.isConnected) { \
                        const t = b.textContent.trim() + (b.ownerDocument === document ? '' : ' (other document)'); \
                        by[t] = (by[t] || 0) + 1; } } return by; }";
        let detached_buttons = match count_objects {
            true => live_objects_of(client, "HTMLButtonElement", detached).await.unwrap_or_default(),
            false => serde_json::Value::Null,
        };
        let mut detached_buttons: Vec<(String, u64)> = detached_buttons
            .as_object()
            .into_iter()
            .flatten()
            .map(|(text, count)| (text.clone(), count.as_u64().unwrap_or(0)))
            .collect();
        detached_buttons.sort_by_key(|b| std::cmp::Reverse(b.1));
        // performance.memory is rounded unless Chromium runs with precise memory info.
        let usage = devtools_result(client, "Runtime.getHeapUsage", serde_json::json!({})).await;
        let script = "const heap = window.wasmBindings && window.wasmBindings.live_heap ? [...window.wasmBindings.live_heap()] : [0, 0]; \
                      return [0, window.__wasm ? window.__wasm.memory.buffer.byteLength : 0, \
                      heap[0], heap[1], document.querySelectorAll('.fp-history__entry').length, \
                      window.wasmBindings && window.wasmBindings.phone_holds ? window.wasmBindings.phone_holds() : null, \
                      Number((document.body.innerText.match(/(\\d+) call logs? waiting/) || [0, 0])[1]), \
                      window.wasmBindings && window.wasmBindings.live_sizes ? [...window.wasmBindings.live_sizes()] : []]";
        let values = client.execute(script, vec![]).await.unwrap_or_default();
        let number = |i: usize| values[i].as_u64().unwrap_or(0);
        Holdings {
            objects,
            js_heap: usage["usedSize"].as_f64().unwrap_or(0.0) as u64,
            wasm_memory: number(1),
            wasm_live: (number(3) > 0).then(|| (number(2), number(3))),
            phone: values[5].as_str().map(str::to_owned),
            history_entries: number(4),
            logs_waiting: number(6),
            wasm_sizes: values[7]
                .as_array()
                .map(|flat| flat.chunks(2).map(|p| (p[0].as_u64().unwrap_or(0), p[1].as_u64().unwrap_or(0))).collect())
                .unwrap_or_default(),
            detached_buttons,
        }
    }
}

impl fmt::Display for Holdings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, count) in &self.objects {
            write!(f, "{kind}={count} ")?;
        }
        let megabytes = |bytes: u64| bytes as f64 / 1e6;
        write!(f, "JS heap {:.3} MB, wasm memory {:.2} MB", megabytes(self.js_heap), megabytes(self.wasm_memory))?;
        write!(f, ", history entries shown {}, call logs waiting {}", self.history_entries, self.logs_waiting)?;
        if let Some((bytes, allocations)) = self.wasm_live {
            write!(f, ", live wasm heap {:.3} MB in {allocations} allocations", megabytes(bytes))?;
        }
        if !self.detached_buttons.is_empty() {
            write!(f, ", detached buttons alive {:?}", self.detached_buttons)?;
        }
        if let Some(phone) = &self.phone {
            write!(f, ", phone: {phone}")?;
        }
        Ok(())
    }
}

/// `summary` (a function of `this`, the array) of the objects alive whose prototype is
/// `kind.prototype` (DevTools `Runtime.queryObjects`, which collects garbage first).
async fn live_objects_of(client: &Client, kind: &str, summary: &str) -> Option<serde_json::Value> {
    // In an object group of their own, released at the end: an array DevTools kept would keep
    // every object in it alive, and the next read would count them again.
    let group = "holdings";
    let prototype = serde_json::json!({ "expression": format!("{kind}.prototype"), "objectGroup": group });
    let prototype = devtools_result(client, "Runtime.evaluate", prototype).await;
    let found = match prototype["result"]["objectId"].as_str() {
        Some(id) => {
            let query = serde_json::json!({ "prototypeObjectId": id, "objectGroup": group });
            devtools_result(client, "Runtime.queryObjects", query).await
        }
        None => serde_json::Value::Null,
    };
    let summary = match found["objects"]["objectId"].as_str() {
        Some(array) => {
            let call = serde_json::json!({
                "objectId": array, "functionDeclaration": summary, "returnByValue": true, "objectGroup": group
            });
            Some(devtools_result(client, "Runtime.callFunctionOn", call).await["result"]["value"].clone())
        }
        None => None,
    };
    devtools_result(client, "Runtime.releaseObjectGroup", serde_json::json!({ "objectGroup": group })).await;
    summary
}

/// Clicks the button whose text is `name` from the page's own script.
pub async fn click_by_script(client: &Client, name: &str) {
    let script = "const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === arguments[0]); \
                  if (b) { b.click(); } return !!b;";
    eventually(&format!("the {name} button"), || async {
        client.execute(script, vec![name.into()]).await.ok()?.as_bool().filter(|found| *found)
    })
    .await;
}

/// Waits until the page's script `condition` is true.
pub async fn wait_for_script(client: &Client, condition: &str) {
    let script = format!("return {condition};");
    eventually(condition, || async { client.execute(&script, vec![]).await.ok()?.as_bool().filter(|ok| *ok) }).await;
}

/// One answered call driven from the pages' scripts, as agents take it: `caller` calls (its
/// Number box already filled), `callee` answers, `callee` hangs up, and both click Done in
/// their wrap-up.
pub async fn answered_call_by_script(caller: &Client, callee: &Client) {
    click_by_script(caller, "Call").await;
    wait_for_script(callee, "!!document.querySelector('[role=alertdialog]')").await;
    click_by_script(callee, "Answer").await;
    wait_for_script(
        caller,
        "(document.querySelector('section.fp-call') || {}).textContent?.includes('Connected') || false",
    )
    .await;
    click_by_script(callee, "Hang up").await;
    let gone = "!document.querySelector('section.fp-call')";
    for client in [caller, callee] {
        wait_for_script(client, gone).await;
        click_by_script(client, "Done").await;
    }
    let no_wrap_up = "![...document.querySelectorAll('button')].some(b => b.textContent.trim() === 'Done')";
    wait_for_script(caller, no_wrap_up).await;
    wait_for_script(callee, no_wrap_up).await;
}
