//! Music on hold (`media.musicOnHold`): the held party hears the configured file, and a call
//! muted before the hold is still muted after Resume. Its own binary, so that its agents
//! (1001, 1002) are not in use by a call test running beside it.

use e2e::{
    LISTEN, audio_received_over, by_role, eventually, held_party_hears, held_party_hears_again,
    other_party_hears_silence, signed_in_browser_watching_audio, wait_for_role,
};
use fantoccini::Client;
use serde_json::json;

/// Waits until the active call shows `expected`.
async fn call_region_with(client: &Client, expected: &str) {
    eventually(&format!("the active call to show {expected:?}"), || async {
        let text = e2e::call_text(client).await?;
        text.contains(expected).then_some(())
    })
    .await;
}

#[tokio::test]
async fn music_on_hold_plays_to_the_held_party_and_mute_outlasts_the_hold() {
    // A 440 Hz tone at half scale, steady, unlike the fake microphone's voice.
    let music = e2e::tone_wav(440.0, 0.5, 3);
    let (server, _files) = e2e::devserver_with_files(&[("hold-music.wav", &music)]).await;
    server.amend_config(json!({ "media": { "musicOnHold": "hold-music.wav" } }));
    let caller = signed_in_browser_watching_audio(&server.widget, "1001").await;
    let callee = signed_in_browser_watching_audio(&server.widget, "1002").await;
    let (a, b) = (&caller.client, &callee.client);
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", e2e::PATIENCE).await.expect("the call rings");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_region_with(a, "Connected").await;
    let heard = held_party_hears(b, "before the hold").await;

    // Muted first: whatever B hears during the hold is the music, not the microphone.
    by_role(a, "button", "Mute").await.unwrap().click().await.unwrap();
    other_party_hears_silence(b, heard, "muted").await;
    by_role(a, "button", "Hold").await.unwrap().click().await.unwrap();
    call_region_with(a, "On hold").await;
    eventually("the held party to hear the music", || async {
        let music = audio_received_over(b, LISTEN).await;
        eprintln!("held party, music on hold: {music:?}");
        // A steady half-scale sine: about 0.125 of energy a second (less after the codec).
        (music.packets >= 50 && music.energy > 0.02 * music.seconds).then_some(())
    })
    .await;

    // Resumed, still muted: silence; unmuted: the agent again.
    by_role(a, "button", "Resume").await.unwrap().click().await.unwrap();
    call_region_with(a, "Connected").await;
    other_party_hears_silence(b, heard, "resumed while muted").await;
    by_role(a, "button", "Unmute").await.unwrap().click().await.unwrap();
    held_party_hears_again(b, a).await;
    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    caller.close().await;
    callee.close().await;
}
