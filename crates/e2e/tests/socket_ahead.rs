//! The sign-in's WebSocket is opened before it is needed: while the agent types in the form,
//! and by the page itself when it reloads with a kept sign-in. The REGISTER leaves on that
//! socket (no second one is made), and one left unused is closed. Needs the Kamailio lab
//! (`$LAB_WS_PORT`); agent 1131.

use std::time::Duration;

use e2e::{Browser, PATIENCE, by_role, devserver, eventually, wait_for_role, wait_for_status};
use fantoccini::Client;
use serde_json::Value;

/// Records, from every document the tab loads, each WebSocket the page makes: its URL, who made
/// it (the widget or the page), the first word of each message sent on it, and when it closed.
async fn record_sockets(client: &Client) {
    let source = r#"
        window.__sockets = [];
        const Socket = window.WebSocket;
        window.WebSocket = class extends Socket {
            constructor(...args) {
                super(...args);
                // The widget's sockets are made by its wasm-bindgen glue (framephone-<hash>.js);
                // the page's by its inline script.
                const by = /\/framephone-[0-9a-f]+\.js/.test(new Error().stack || '') ? 'widget' : 'page';
                this.__entry = { url: this.url, by, sent: [], closedAt: null };
                window.__sockets.push(this.__entry);
                this.addEventListener('close', () => { this.__entry.closedAt = performance.now(); });
            }
            send(data) {
                const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
                this.__entry.sent.push(text.split(' ', 1)[0]);
                return super.send(data);
            }
        };
    "#;
    e2e::devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": source }))
        .await;
}

/// The sockets the current document made so far.
async fn sockets(client: &Client) -> Vec<Value> {
    let found = client.execute("return window.__sockets || null", vec![]).await.expect("read the sockets");
    found.as_array().cloned().expect("the socket recorder runs in the page")
}

/// The words sent on `socket` (`REGISTER`, `SUBSCRIBE`, …; an empty one for a keepalive).
fn sent(socket: &Value) -> Vec<&str> {
    socket["sent"].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

#[tokio::test]
async fn the_sign_in_registers_on_the_socket_opened_while_typing_and_a_reload_on_the_pages() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    record_sockets(client).await;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    let username = wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form");
    assert!(sockets(client).await.is_empty(), "no socket before the agent types (nothing was kept)");

    // Typing opens the socket; nothing is sent on it yet.
    username.send_keys("1131").await.unwrap();
    let opened = eventually("a socket opened while the agent types", || async {
        let found = sockets(client).await;
        (found.len() == 1).then(|| found[0].clone())
    })
    .await;
    assert!(opened["url"].as_str().is_some_and(|url| url.starts_with("ws://127.0.0.1:")), "{opened}");
    assert_eq!(opened["by"], "widget", "{opened}");
    by_role(client, "textbox", "Password").await.unwrap().send_keys("lab-1131-pw").await.unwrap();
    assert!(sent(&sockets(client).await[0]).is_empty(), "nothing sent before Sign in");

    // Sign in registers on it: no second socket.
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    wait_for_status(client, "Registered as 1131").await;
    let after = sockets(client).await;
    assert_eq!(after.len(), 1, "the sign-in made no socket of its own: {after:?}");
    assert_eq!(sent(&after[0]).first(), Some(&"REGISTER"), "{after:?}");
    assert!(after[0]["closedAt"].is_null(), "the registration's socket stays open");

    // A reload with the kept sign-in: the page opens the socket while the wasm loads, and the
    // resumed sign-in registers on it.
    client.refresh().await.unwrap();
    wait_for_status(client, "Registered as 1131").await;
    let reloaded = sockets(client).await;
    assert_eq!(reloaded.len(), 1, "one socket for the reload: {reloaded:?}");
    assert_eq!(sent(&reloaded[0]).first(), Some(&"REGISTER"), "{reloaded:?}");
    assert_eq!(reloaded[0]["by"], "page", "the page made it, not the widget: {reloaded:?}");

    // Signed out, typing opens another, which closes after 30 s unused.
    by_role(client, "button", "Sign out").await.unwrap().click().await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.unwrap().send_keys("1131").await.unwrap();
    let ahead = eventually("a socket opened while the agent types again", || async {
        let found = sockets(client).await;
        (found.len() == 2).then(|| found[1].clone())
    })
    .await;
    assert!(ahead["closedAt"].is_null(), "open while the agent may sign in");
    tokio::time::sleep(Duration::from_secs(31)).await;
    let unused = sockets(client).await.remove(1);
    assert!(!unused["closedAt"].is_null(), "closed after 30 s unused: {unused}");
    assert!(sent(&unused).is_empty(), "nothing was sent on it: {unused}");
    browser.close().await;
}
