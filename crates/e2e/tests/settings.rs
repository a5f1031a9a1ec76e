//! Settings: the agent picks a microphone; it is remembered and used for the next call.

use e2e::{PATIENCE, audio_packets, by_role, devserver, eventually, signed_in_browser, wait_for_role};
use fantoccini::Locator;

#[tokio::test]
async fn a_chosen_microphone_is_remembered_and_carries_the_next_call() {
    let server = devserver().await;
    let caller = signed_in_browser(&server.widget, "1001").await;
    let callee = signed_in_browser(&server.widget, "1002").await;
    let (a, b) = (&caller.client, &callee.client);
    by_role(a, "button", "Settings").await.unwrap().click().await.unwrap();
    let microphone = wait_for_role(a, "combobox", "Microphone", PATIENCE).await.expect("the Microphone choice");
    let device = eventually("a microphone to choose", || async {
        let options = microphone.find_all(Locator::Css("option")).await.ok()?;
        for option in options {
            let value = option.prop("value").await.ok()??;
            if !value.is_empty() {
                return Some(value);
            }
        }
        None
    })
    .await;
    microphone.select_by_value(&device).await.unwrap();
    let stored = a.execute("return localStorage.getItem('framephone.microphone')", vec![]).await.unwrap();
    assert_eq!(stored.as_str(), Some(device.as_str()));
    by_role(a, "combobox", "Speaker").await.expect("the Speaker choice");

    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.unwrap();
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("audio from the chosen microphone", || async {
        let text = by_role(b, "region", "Active call").await.ok()?.text().await.ok()?;
        (audio_packets(&text).1 >= 25).then_some(())
    })
    .await;
    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    caller.close().await;
    callee.close().await;
}
