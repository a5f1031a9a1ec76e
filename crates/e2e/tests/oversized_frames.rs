//! A hostile SIP server sends WebSocket frames far larger than a SIP message may be (the core's
//! limit is 1 MiB): the widget drops each by its length before copying it into wasm memory
//! (which never shrinks), says so in one log line each, and goes on with the next frame.

use std::time::Duration;

use e2e::{Browser, devserver, devtools_result, eventually, keep_wasm_module, submit_sign_in, wait_for_status};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Far over the limit: if the widget copied it in, its memory would grow past this.
const HUGE: usize = 16 << 20;

/// Accepts one WebSocket client with the `sip` subprotocol; answers its first REGISTER with
/// three oversized frames (text, binary, and text whose UTF-8 form alone is over the limit),
/// then with a 200 OK, and then reads on without answering.
async fn hostile_server(listener: TcpListener) {
    let (stream, _) = listener.accept().await.expect("the widget connects");
    let mut socket = tokio_tungstenite::accept_hdr_async(stream, choose_sip).await.expect("the handshake");
    let register = loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) if text.starts_with("REGISTER ") => break text.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("the widget went away before registering: {other:?}"),
        }
    };
    socket.send(Message::Text("x".repeat(HUGE).into())).await.expect("send a huge text frame");
    socket.send(Message::Binary(vec![b'y'; HUGE].into())).await.expect("send a huge binary frame");
    // 400,000 characters of 3 bytes each: 1.2 MB of UTF-8 in fewer than 1 Mi UTF-16 units.
    socket.send(Message::Text("€".repeat(400_000).into())).await.expect("send a wide text frame");
    socket.send(Message::Text(ok_to(&register).into())).await.expect("send the 200 OK");
    while let Some(Ok(_)) = socket.next().await {}
}

/// Chooses the `sip` subprotocol the widget asks for (the browser drops the connection
/// otherwise).
#[allow(clippy::result_large_err, reason = "the signature of tungstenite's handshake callback")]
fn choose_sip(_: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    response.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    Ok(response)
}

/// A 200 OK to `register` granting its Contact for 600 s.
fn ok_to(register: &str) -> String {
    let mut response = String::from("SIP/2.0 200 OK\r\n");
    for line in register.split("\r\n") {
        let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        match name.as_str() {
            "via" | "v" | "from" | "f" | "call-id" | "i" | "cseq" => response += &format!("{line}\r\n"),
            "to" | "t" => response += &format!("{line};tag=hostile\r\n"),
            "contact" | "m" => response += &format!("{line};expires=600\r\n"),
            _ => {}
        }
    }
    response + "Content-Length: 0\r\n\r\n"
}

#[tokio::test]
async fn frames_over_the_limit_are_dropped_before_they_reach_wasm_memory() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("its address");
    let server_task = tokio::spawn(hostile_server(listener));
    let server = devserver().await;
    server.amend_config(json!({ "sip": { "servers": [format!("ws://{address}")] } }));

    let browser = Browser::start().await;
    let client = &browser.client;
    keep_wasm_module(client).await;
    let source = "window.__warnings = []; const warn = console.warn.bind(console);
                  console.warn = (...args) => { window.__warnings.push(args.join(' ')); warn(...args); };";
    devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", json!({ "source": source })).await;
    client.goto(&format!("{}/", server.widget)).await.expect("open the pop-out view");
    submit_sign_in(client, "1001").await;

    // The 200 OK came after the three frames, on the same flow: the phone read on.
    wait_for_status(client, "Registered as 1001").await;
    let memory = client
        .execute("return window.__wasm ? window.__wasm.memory.buffer.byteLength : null", vec![])
        .await
        .expect("read the wasm memory size");
    let memory = memory.as_u64().expect("the wasm module was kept") as usize;
    eprintln!("wasm memory after the frames: {memory} bytes");
    assert!(memory < HUGE / 2, "the wasm memory grew to {memory} bytes: a frame was copied in");
    let warnings = eventually("three dropped frames logged", || async {
        let found = client.execute("return window.__warnings", vec![]).await.ok()?;
        let dropped: Vec<String> = found
            .as_array()?
            .iter()
            .filter_map(|w| w.as_str())
            .filter(|w| w.contains("dropped unread"))
            .map(str::to_owned)
            .collect();
        (dropped.len() == 3).then_some(dropped)
    })
    .await;
    assert!(warnings[0].contains(&format!("text frame of {HUGE} characters")), "{warnings:?}");
    assert!(warnings[1].contains(&format!("binary frame of {HUGE} bytes")), "{warnings:?}");
    assert!(warnings[2].contains("text frame of 400000 characters"), "{warnings:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    browser.close().await;
    server_task.abort();
}
