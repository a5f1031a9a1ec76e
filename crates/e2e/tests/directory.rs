//! The Directory tab: configured contacts with live presence (SUBSCRIBE through the Kamailio
//! lab), search, and Call.

use e2e::{PATIENCE, by_role, devserver, eventually, signed_in_browser, wait_for_role};
use fantoccini::Client;

async fn contacts_show(client: &Client, expected: &str) -> String {
    eventually(&format!("the contacts to show {expected:?}"), || async {
        let text = by_role(client, "list", "Contacts").await.ok()?.text().await.ok()?;
        text.contains(expected).then_some(text)
    })
    .await
}

#[tokio::test]
async fn colleagues_presence_shows_live_and_a_contact_can_be_called() {
    let server = devserver().await;
    server.amend_config(serde_json::json!({
        "directory": [{ "name": "Ana Díaz", "number": "1016" }, { "name": "Bob Stone", "number": "1003" }]
    }));
    let watcher = signed_in_browser(&server.widget, "1015").await;
    let colleague = signed_in_browser(&server.widget, "1016").await;
    let (a, b) = (&watcher.client, &colleague.client);
    by_role(a, "tab", "Directory").await.unwrap().click().await.unwrap();
    contacts_show(a, "Available · Ready").await;

    by_role(b, "combobox", "Status").await.unwrap().select_by_value("not-ready:0").await.unwrap();
    contacts_show(a, "Away · Not Ready: Break").await;

    by_role(a, "searchbox", "Search directory").await.unwrap().send_keys("bob").await.unwrap();
    let filtered = contacts_show(a, "Bob Stone").await;
    assert!(!filtered.contains("Ana Díaz"), "{filtered}");
    by_role(a, "searchbox", "Search directory").await.unwrap().send_keys("\u{e003}\u{e003}\u{e003}").await.unwrap();

    by_role(b, "combobox", "Status").await.unwrap().select_by_value("ready").await.unwrap();
    by_role(a, "button", "Call Ana Díaz").await.unwrap().click().await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the colleague rings");
    by_role(b, "button", "Decline").await.unwrap().click().await.unwrap();
    watcher.close().await;
    colleague.close().await;
}
