//! The Messages tab through the Kamailio lab: one agent writes to a colleague from the directory,
//! the colleague sees the unread count on the tab and on the conversation, reads it (the count
//! goes) and replies; a hostile peer's markup shows as text; a message to nobody says it was
//! not delivered. Needs the Kamailio lab (`$LAB_WS_PORT`), agents 1101–1103.

use e2e::{PATIENCE, by_role, by_role_starting, devserver, eventually, signed_in_browser, sip_caller};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};

const ENTER: char = '\u{e007}';
const SHIFT: char = '\u{e008}';

/// The text of the conversation's log once it holds `expected`.
async fn log_shows(client: &Client, log: &str, expected: &str) -> String {
    eventually(&format!("the log {log:?} to show {expected:?}"), || async {
        let text = by_role(client, "log", log).await.ok()?.text().await.ok()?;
        text.contains(expected).then_some(text)
    })
    .await
}

/// The Messages tab's text (its label and any count).
async fn messages_tab(client: &Client) -> String {
    by_role(client, "tab", "Messages").await.expect("the Messages tab").text().await.unwrap_or_default()
}

/// What the tab's description says ("2 unread messages"), as a screen reader reads it.
async fn unread_told(client: &Client) -> String {
    let script = "const id = document.getElementById('fp-tab-messages').getAttribute('aria-describedby');\
                  return document.getElementById(id).textContent;";
    client.execute(script, vec![]).await.ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[tokio::test]
async fn two_agents_write_to_each_other_with_unread_counts_and_failures_shown() {
    let server = devserver().await;
    server.amend_config(serde_json::json!({
        "directory": [{ "name": "Ana Díaz", "number": "1102" }, { "name": "Bob Stone", "number": "1101" }]
    }));
    let writer = signed_in_browser(&server.widget, "1101").await;
    let reader = signed_in_browser(&server.widget, "1102").await;
    let (a, b) = (&writer.client, &reader.client);

    // Bob writes to Ana from the directory; Enter sends.
    by_role(a, "tab", "Directory").await.unwrap().click().await.unwrap();
    by_role(a, "button", "Message Ana Díaz").await.unwrap().click().await.unwrap();
    let to_ana = by_role(a, "textbox", "Message to Ana Díaz (1102)").await.expect("the message box");
    to_ana.send_keys(&format!("Can you take the Acme call? ☎{ENTER}")).await.unwrap();
    let log = log_shows(a, "Messages with Ana Díaz (1102)", "Can you take the Acme call? ☎").await;
    log_shows(a, "Messages with Ana Díaz (1102)", "Delivered").await;
    assert!(log.contains("You wrote"), "{log}");
    assert_eq!(to_ana.prop("value").await.unwrap().as_deref(), Some(""), "the box is empty for the next");

    // Ana sees one unread on the tab and on Bob's conversation, and reads it.
    eventually("the unread count on the Messages tab", || async { messages_tab(b).await.contains('1').then_some(()) })
        .await;
    assert_eq!(unread_told(b).await, "1 unread message");
    by_role(b, "tab", "Messages").await.unwrap().click().await.unwrap();
    let entry = by_role_starting(b, "button", "Bob Stone (1101) 1 new").await.expect("Bob's conversation, unread");
    entry.click().await.unwrap();
    let log = log_shows(b, "Messages with Bob Stone (1101)", "Can you take the Acme call? ☎").await;
    assert!(log.contains("They wrote"), "{log}");
    eventually("the count to go once read", || async { (messages_tab(b).await == "Messages").then_some(()) }).await;
    assert_eq!(unread_told(b).await, "");

    // Her reply, with a second line, reaches Bob's open conversation, read there at once.
    let to_bob = by_role(b, "textbox", "Message to Bob Stone (1101)").await.unwrap();
    to_bob.send_keys("On it.").await.unwrap();
    let shift_enter = KeyActions::new("keys".into())
        .then(KeyAction::Down { value: SHIFT })
        .then(KeyAction::Down { value: ENTER })
        .then(KeyAction::Up { value: ENTER })
        .then(KeyAction::Up { value: SHIFT });
    b.perform_actions(shift_enter).await.unwrap();
    to_bob.send_keys("Ana").await.unwrap();
    by_role(b, "button", "Send").await.unwrap().click().await.unwrap();
    log_shows(a, "Messages with Ana Díaz (1102)", "On it.\nAna").await;
    eventually("Bob's reply read at once", || async { (messages_tab(a).await == "Messages").then_some(()) }).await;

    // A peer's markup and bidi tricks arrive as plain text, in a conversation of its own.
    let peer = sip_caller("1103", "<b>Mallory</b>").await;
    let hostile = "<img src=x onerror=\"document.title='owned'\">\u{202E}gnp.exe";
    peer.run(|ua, now| ua.send_message(now, "1102", hostile)).await.expect("send");
    by_role(b, "button", "All conversations").await.unwrap().click().await.unwrap();
    let entry = eventually("the peer's conversation", || async {
        by_role_starting(b, "button", "<b>Mallory</b> (1103) 1 new").await.ok()
    })
    .await;
    entry.click().await.unwrap();
    let log = log_shows(b, "Messages with <b>Mallory</b> (1103)", "<img src=x").await;
    assert!(log.contains("gnp.exe") && !log.contains('\u{202E}'), "{log:?}");
    assert!(b.find_all(Locator::Css(".fp-thread img, .fp-conversations img")).await.unwrap().is_empty());
    assert_ne!(b.title().await.unwrap(), "owned");

    // A message to a number nobody uses says it was not delivered, and can be sent again.
    by_role(a, "button", "All conversations").await.unwrap().click().await.unwrap();
    by_role(a, "combobox", "To").await.unwrap().send_keys("1190").await.unwrap();
    by_role(a, "button", "New message").await.unwrap().click().await.unwrap();
    by_role(a, "textbox", "Message to 1190").await.unwrap().send_keys(&format!("anyone?{ENTER}")).await.unwrap();
    let log = log_shows(a, "Messages with 1190", "Not delivered").await;
    assert!(!log.contains("Delivered\n"), "{log}");
    by_role(a, "button", "Send again").await.expect("Send again on the failed message");

    let _ = tokio::time::timeout(PATIENCE, peer.run(|ua, now| ua.stop(now))).await;
    writer.close().await;
    reader.close().await;
}
