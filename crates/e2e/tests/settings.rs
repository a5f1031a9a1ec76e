//! Settings: the agent picks a microphone, a speaker and a ringer; they are remembered and the
//! next call uses them (audio from the chosen microphone, the ringtone on the chosen ringer, the
//! other party on the chosen speaker).

use e2e::{PATIENCE, audio_packets, by_role, devserver, eventually, signed_in_browser, wait_for_role, wait_for_sounds};
use fantoccini::{Client, Locator};

/// Picks the `index`th device (after "Default") of the choice named `name`; its id.
async fn choose_device(client: &Client, name: &str, index: usize) -> String {
    let choice = wait_for_role(client, "combobox", name, PATIENCE).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    let device = eventually(&format!("a device for {name}"), || async {
        let mut ids = Vec::new();
        for option in choice.find_all(Locator::Css("option")).await.ok()? {
            ids.push(option.prop("value").await.ok()??);
        }
        ids.into_iter().filter(|id| !id.is_empty()).nth(index)
    })
    .await;
    choice.select_by_value(&device).await.unwrap();
    device
}

/// The output device (`sinkId`) of the first audio element matching `css`.
async fn sink_of(client: &Client, css: &str) -> String {
    let script = "const audio = document.querySelector(arguments[0]); return audio ? audio.sinkId : null";
    let sink = client.execute(script, vec![css.into()]).await.unwrap();
    sink.as_str().unwrap_or("(no element)").to_owned()
}

#[tokio::test]
async fn chosen_devices_are_remembered_and_carry_the_next_call() {
    let server = devserver().await;
    let caller = signed_in_browser(&server.widget, "1001").await;
    let callee = signed_in_browser(&server.widget, "1002").await;
    let (a, b) = (&caller.client, &callee.client);
    by_role(a, "tab", "Settings").await.unwrap().click().await.unwrap();
    let microphone = choose_device(a, "Microphone", 0).await;
    let stored = a.execute("return localStorage.getItem('framephone.microphone')", vec![]).await.unwrap();
    assert_eq!(stored.as_str(), Some(microphone.as_str()));

    by_role(b, "tab", "Settings").await.unwrap().click().await.unwrap();
    let speaker = choose_device(b, "Speaker", 1).await;
    let ringer = choose_device(b, "Ringer", 0).await;
    assert_ne!(speaker, ringer);
    let stored = b.execute("return localStorage.getItem('framephone.ringer')", vec![]).await.unwrap();
    assert_eq!(stored.as_str(), Some(ringer.as_str()));

    by_role(a, "tab", "Dial pad").await.unwrap().click().await.unwrap();
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.unwrap();
    wait_for_sounds(b, &["ringtone"]).await;
    assert_eq!(sink_of(b, "audio[data-sound=ringtone]").await, ringer, "the ringtone plays on the ringer");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("audio from the chosen microphone", || async {
        let text = e2e::call_text(b).await?;
        (audio_packets(&text).1 >= 25).then_some(())
    })
    .await;
    assert_eq!(sink_of(b, "audio[data-call-audio]").await, speaker, "the caller is heard on the speaker");
    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    caller.close().await;
    callee.close().await;
}
