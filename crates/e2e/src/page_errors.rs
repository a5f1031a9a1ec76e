//! What went wrong in a page's scripts: uncaught errors, unhandled promise rejections and
//! `console.error` calls, recorded by a script the page runs before its own. The browser's own
//! log lines (a refused WebSocket connection, say) are not among them.

use fantoccini::Client;

use crate::{PATIENCE, devtools_result};

/// The recorder: keeps the first 200 entries in `window.__pageErrors`.
const RECORDER: &str = r#"
    window.__pageErrors = [];
    const note = text => { if (window.__pageErrors.length < 200) window.__pageErrors.push(text); };
    addEventListener('error', e => note('error: ' + (e.message || e.type)
        + (e.filename ? ' at ' + e.filename + ':' + e.lineno : '')));
    addEventListener('unhandledrejection', e =>
        note('rejection: ' + String(e.reason && e.reason.message || e.reason)));
    const consoleError = console.error;
    console.error = (...args) => { note('console: ' + args.map(String).join(' ')); consoleError.apply(console, args); };
    // One error of each kind, from a script of the page's own (the test's scripts are another
    // origin's to the page: their errors read only "Script error.").
    window.__probePageErrors = () => {
        setTimeout(() => { throw new Error('probe: thrown'); });
        Promise.reject(new Error('probe: rejected'));
        console.error('probe: logged');
    };
"#;

/// From the page's next load on, records its uncaught errors, unhandled rejections and console
/// errors, for [`page_errors`]. Once the page has loaded, the recorder proves that it works
/// before the test relies on it: a thrown error, a rejected promise and a `console.error` of its
/// own must be recorded, then are cleared.
pub async fn record_page_errors(client: &Client) {
    devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": RECORDER })).await;
}

/// Checks that the recorder installed by [`record_page_errors`] runs in the current page and
/// catches each kind of error, then clears what it recorded. Call it after each load.
pub async fn check_page_error_recorder(client: &Client) {
    let probe = "if (window.__probePageErrors) window.__probePageErrors();";
    client.execute(probe, vec![]).await.expect("run the probes");
    let expected = [("error: ", "probe: thrown"), ("rejection: ", "probe: rejected"), ("console: ", "probe: logged")];
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let errors = page_errors(client).await;
        let caught = |(kind, text): &(&str, &str)| errors.iter().any(|e| e.starts_with(kind) && e.contains(text));
        if expected.iter().all(caught) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the page error recorder missed its probes: it has {errors:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    clear_page_errors(client).await;
}

/// What the recorder caught in the current page so far (one entry saying so when the page has
/// no recorder).
pub async fn page_errors(client: &Client) -> Vec<String> {
    let found = client.execute("return window.__pageErrors || ['the page error recorder is missing']", vec![]).await;
    let found = found.expect("read the page errors");
    found.as_array().into_iter().flatten().map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned)).collect()
}

/// Forgets what the recorder caught so far.
pub async fn clear_page_errors(client: &Client) {
    client
        .execute("if (window.__pageErrors) window.__pageErrors.length = 0;", vec![])
        .await
        .expect("clear the page errors");
}
