//! Two agents, each in a headless Chromium of their own with fake audio devices, sign in to the
//! Kamailio lab (`scripts/lab.sh start`; `$LAB_WS_PORT`, default 8088) from the pop-out view and
//! call each other; `getStats` packet counts, shown in the call's region, prove that audio flows.

use e2e::{
    audio_packets as packets, by_role, call_quality, devserver, eventually, grant_permission, held_party_hears,
    held_party_hears_again, held_party_hears_silence, screenshot, signed_in_browser, signed_in_browser_watching_audio,
    wait_for_role, wait_for_sounds, wait_for_status,
};
use fantoccini::{Client, Locator};
use serde_json::json;

const PATIENCE: std::time::Duration = e2e::PATIENCE;

/// The text of the call in progress, once it contains `expected`.
async fn call_region_with(client: &Client, expected: &str) -> String {
    eventually(&format!("the active call to show {expected:?}"), || async {
        let text = e2e::call_text(client).await?;
        text.contains(expected).then_some(text)
    })
    .await
}

/// Waits until the call's audio counters pass `minimum` both ways.
async fn audio_flows(client: &Client, minimum: u64) -> (u64, u64) {
    eventually("audio packets both ways", || async {
        let text = e2e::call_text(client).await?;
        let (sent, received) = packets(&text);
        (sent >= minimum && received >= minimum).then_some((sent, received))
    })
    .await
}

/// Opens the call's keypad (once) and presses `keys` on it.
async fn press_call_keys(client: &Client, keys: &str) {
    let region = e2e::call_region(client).await.expect("the call");
    if by_role(client, "group", "Call keypad").await.is_err() {
        by_role(client, "button", "Keypad").await.unwrap().click().await.unwrap();
    }
    for key in keys.chars() {
        let button = region.find(Locator::XPath(&format!(".//div[@aria-label='Call keypad']/button[.='{key}']"))).await;
        button.unwrap_or_else(|e| panic!("key {key}: {e}")).click().await.unwrap();
    }
}

/// Waits until the meter `name` of the active call shows sound (`true`) or silence; the meters
/// show the last second, so a few readings may pass.
async fn level_becomes(client: &Client, name: &str, sound: bool) {
    eventually(&format!("{name} to show {}", if sound { "sound" } else { "silence" }), || async {
        let meter = by_role(client, "meter", name).await.ok()?;
        let level: u32 = meter.attr("aria-valuenow").await.ok()??.parse().ok()?;
        ((level > 0) == sound).then_some(())
    })
    .await;
}

/// Packets received on the active call, as shown now.
async fn received_after_a_while(client: &Client) -> u64 {
    let text = e2e::call_text(client).await.expect("the call");
    packets(&text).1
}

#[tokio::test]
async fn two_agents_call_talk_hold_and_hang_up() {
    let server = devserver().await;
    let caller = signed_in_browser_watching_audio(&server.widget, "1001").await;
    let callee = signed_in_browser_watching_audio(&server.widget, "1002").await;
    let (a, b) = (&caller.client, &callee.client);

    by_role(a, "textbox", "Number").await.unwrap().send_keys("1002").await.unwrap();
    by_role(a, "button", "Call").await.unwrap().click().await.unwrap();
    let incoming = wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    assert!(incoming.text().await.unwrap().contains("1001"));
    call_region_with(a, "Ringing").await;
    wait_for_sounds(b, &["ringtone"]).await;
    screenshot(b, "incoming-call").await;
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();

    call_region_with(a, "Connected").await;
    call_region_with(b, "Connected").await;
    wait_for_sounds(b, &[]).await;
    let (sent, received) = audio_flows(a, 25).await;
    audio_flows(b, 25).await;
    screenshot(a, "active-call").await;
    assert!(sent > 0 && received > 0);
    // A loopback call has nothing to spoil it: both ends read good once getStats has two readings.
    for client in [a, b] {
        eventually("the call's quality to read good", || async {
            call_quality(client).await?.starts_with("Call quality: good, 4.").then_some(())
        })
        .await;
    }

    // Mute: the other side hears silence (its incoming level falls to zero) while packets go on;
    // unmute: the voice is back.
    level_becomes(b, "Incoming audio level", true).await;
    level_becomes(a, "Microphone level", true).await;
    by_role(a, "button", "Mute").await.unwrap().click().await.unwrap();
    level_becomes(b, "Incoming audio level", false).await;
    level_becomes(a, "Microphone level", false).await;
    by_role(a, "button", "Unmute").await.unwrap().click().await.unwrap();
    level_becomes(b, "Incoming audio level", true).await;

    // Keypad digits go into the audio as RFC 4733 telephone events.
    press_call_keys(a, "5#").await;
    call_region_with(a, "Keys sent: 5#").await;

    // Hold. The held party (B) hears the agent before, silence during the hold (packets go on,
    // with no energy in them: the fake microphone speaks all the time, so a leak shows), even when the
    // agent unmutes while holding, and the agent again after Resume. The agent's side stops
    // receiving (B's answer is recvonly).
    let heard = held_party_hears(b, "before the hold").await;
    by_role(a, "button", "Hold").await.unwrap().click().await.unwrap();
    call_region_with(a, "On hold").await;
    held_party_hears_silence(b, heard).await;
    by_role(a, "button", "Mute").await.unwrap().click().await.unwrap();
    by_role(a, "button", "Unmute").await.unwrap().click().await.unwrap();
    held_party_hears_silence(b, heard).await;
    // The counters refresh every second: let one refresh pass after the re-INVITE.
    let held = received_after_a_while(a).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let still = received_after_a_while(a).await;
    assert!(still - held < 10, "packets kept coming while on hold: {held} then {still}");
    by_role(a, "button", "Resume").await.unwrap().click().await.unwrap();
    call_region_with(a, "Connected").await;
    eventually("audio to come back after resume", || async {
        (received_after_a_while(a).await >= still + 25).then_some(())
    })
    .await;
    held_party_hears_again(b, a).await;

    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the call to end on both sides", || async {
        let gone_a = e2e::call_region(a).await.is_err();
        let gone_b = e2e::call_region(b).await.is_err();
        (gone_a && gone_b).then_some(())
    })
    .await;

    // The call is in the History tab, and still there after a reload, which keeps the agent
    // signed in for the tab's session.
    for reloaded in [false, true] {
        if reloaded {
            a.refresh().await.unwrap();
            wait_for_status(a, "Registered as 1001").await;
        }
        by_role(a, "tab", "History").await.unwrap().click().await.unwrap();
        let entry = eventually("the call in Recent calls", || async {
            let text = by_role(a, "list", "Recent calls").await.ok()?.text().await.ok()?;
            (text.contains("Outgoing · 1002") && text.contains("Answered")).then_some(text)
        })
        .await;
        assert!(entry.contains("Call back"), "{entry}");
    }
    caller.close().await;
    callee.close().await;
}

#[tokio::test]
async fn a_call_to_a_hidden_page_shows_a_notification_and_a_declined_call_tells_the_caller() {
    let server = devserver().await;
    let caller = signed_in_browser(&server.widget, "1003").await;
    let callee = signed_in_browser(&server.widget, "1004").await;
    let (a, b) = (&caller.client, &callee.client);

    // The agent allows notifications (the browser's prompt answered by WebDriver) and turns
    // them on in Settings; the browser's Notification is watched to see what the phone shows.
    grant_permission(b, "notifications").await;
    by_role(b, "tab", "Settings").await.unwrap().click().await.unwrap();
    let checkbox = by_role(b, "checkbox", "Desktop notifications").await.expect("the notifications choice");
    checkbox.click().await.unwrap();
    eventually("notifications on", || async { checkbox.prop("checked").await.ok()?.filter(|c| c == "true") }).await;
    b.execute(
        "const Real = window.Notification; window.shown = [];
         window.Notification = class extends Real {
           constructor(title, options) { super(title, options); const entry = [title, options.body, 'open'];
             window.shown.push(entry); const close = this.close.bind(this);
             this.close = () => { entry[2] = 'closed'; close(); }; }
         };",
        vec![],
    )
    .await
    .unwrap();
    b.minimize_window().await.unwrap();
    let hidden = b.execute("return document.hidden", vec![]).await.unwrap();
    assert_eq!(hidden, serde_json::json!(true), "a minimised window is hidden");

    by_role(a, "textbox", "Number").await.unwrap().send_keys("1004\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    let shown = |state: &'static str| async move {
        let script = "return window.shown.filter(([title, body, state]) =>
                          title == 'Incoming call' && body.includes('1003') && state == arguments[0]).length";
        b.execute(script, vec![state.into()]).await.unwrap() == serde_json::json!(1)
    };
    eventually("the notification", || async { shown("open").await.then_some(()) }).await;
    wait_for_sounds(b, &["ringtone"]).await;
    // Back to the page: the notification has done its work.
    b.maximize_window().await.unwrap();
    eventually("the notification to close", || async { shown("closed").await.then_some(()) }).await;
    // Alt+D declines (the shortcut the help panel lists).
    by_role(b, "button", "Keyboard shortcuts").await.unwrap().click().await.unwrap();
    let help = by_role(b, "list", "Keyboard shortcuts").await.expect("the shortcuts");
    assert!(help.text().await.unwrap().contains("Decline the ringing call"));
    let body = b.find(Locator::Css("body")).await.unwrap();
    body.send_keys("\u{e00a}d\u{e000}").await.unwrap();
    eventually("the caller to learn the call was declined", || async {
        let alert = by_role(a, "alert", "").await.ok()?.text().await.ok()?;
        alert.contains("declined").then_some(())
    })
    .await;
    assert!(e2e::call_region(a).await.is_err());
    caller.close().await;
    callee.close().await;
}

#[tokio::test]
async fn dialling_rules_rewrite_the_number_and_keypad_digits_go_by_sip_info() {
    let server = devserver().await;
    // The lab's users are national numbers of country 44 here: +44 (0) 1006, written the way
    // British numbers often are, is dialled as 1006.
    server.amend_config(json!({
        "sip": { "dtmf": "info" },
        "dialling": { "countryCode": "44", "nationalPrefix": "", "extensionDigits": 3 }
    }));
    let caller = signed_in_browser(&server.widget, "1005").await;
    let callee = signed_in_browser(&server.widget, "1006").await;
    let (a, b) = (&caller.client, &callee.client);
    by_role(a, "textbox", "Number").await.unwrap().send_keys("+44 (0) 1006\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_region_with(a, "+441006").await;
    call_region_with(a, "Connected").await;
    press_call_keys(a, "159#").await;
    call_region_with(b, "Keys received: 159#").await;
    by_role(b, "button", "Hang up").await.unwrap().click().await.unwrap();
    caller.close().await;
    callee.close().await;
}

#[tokio::test]
async fn not_ready_and_after_call_work_turn_calls_away_as_busy() {
    let server = devserver().await;
    server.amend_config(json!({ "agent": { "notReadyReasons": ["Break", "Coaching"], "afterCallWorkSeconds": 4 } }));
    let caller = signed_in_browser(&server.widget, "1007").await;
    let callee = signed_in_browser(&server.widget, "1008").await;
    let (a, b) = (&caller.client, &callee.client);
    let status = by_role(b, "combobox", "Status").await.expect("the Status control");
    status.select_by_value("not-ready:1").await.unwrap();
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1008\u{e007}").await.unwrap();
    eventually("the caller to hear busy", || async {
        let alert = by_role(a, "alert", "").await.ok()?.text().await.ok()?;
        alert.contains("1008: busy").then_some(())
    })
    .await;
    assert!(by_role(b, "alertdialog", "Incoming call").await.is_err(), "a Not Ready agent is not offered the call");

    // Ready again: the call rings; after it, After Call Work turns calls away for 4 s.
    by_role(b, "combobox", "Status").await.unwrap().select_by_value("ready").await.unwrap();
    by_role(a, "button", "Call").await.unwrap().click().await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_region_with(a, "Connected").await;
    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("After Call Work", || async {
        let text = by_role(b, "combobox", "Status").await.ok()?.text().await.ok()?;
        text.contains("After Call Work (0:0").then_some(())
    })
    .await;
    eventually("Ready after the countdown", || async {
        let value = by_role(b, "combobox", "Status").await.ok()?.prop("value").await.ok()??;
        (value == "ready").then_some(())
    })
    .await;
    caller.close().await;
    callee.close().await;
}

/// The region of the call with `party`, and its text.
async fn call_with(client: &Client, party: &str) -> (fantoccini::elements::Element, String) {
    eventually(&format!("a call with {party}"), || async {
        for region in client.find_all(Locator::Css("section.fp-call")).await.ok()? {
            let text = region.text().await.ok()?;
            if text.lines().next().is_some_and(|first| first.contains(party)) {
                return Some((region, text));
            }
        }
        None
    })
    .await
}

/// Clicks the button named `name` inside the call with `party`.
async fn click_in_call(client: &Client, party: &str, name: &str) {
    let (region, _) = call_with(client, party).await;
    let button = region.find(Locator::XPath(&format!(".//button[.='{name}']"))).await;
    button.unwrap_or_else(|e| panic!("{name} in the call with {party}: {e}")).click().await.unwrap();
}

/// Waits until the call with `party` shows `expected`.
async fn call_shows(client: &Client, party: &str, expected: &str) {
    eventually(&format!("the call with {party} to show {expected:?}"), || async {
        let (_, text) = call_with(client, party).await;
        text.contains(expected).then_some(())
    })
    .await;
}

#[tokio::test]
async fn blind_then_attended_transfer_among_three_agents() {
    let server = devserver().await;
    server.amend_config(json!({ "directory": [{ "name": "Cleo Park", "number": "1011" }] }));
    let a_browser = signed_in_browser(&server.widget, "1009").await;
    let b_browser = signed_in_browser(&server.widget, "1010").await;
    let c_browser = signed_in_browser(&server.widget, "1011").await;
    let (a, b, c) = (&a_browser.client, &b_browser.client, &c_browser.client);

    // Blind: A calls B; B picks C from the directory and sends A there.
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1010\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("B rings");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_shows(b, "1009", "Connected").await;
    click_in_call(b, "1009", "Transfer").await;
    let contacts = by_role(b, "combobox", "Transfer to a contact").await.expect("the directory pick");
    eventually("C's presence in the pick", || async {
        // The option is text only: the contact's name and number are isolated with FSI…PDI.
        let wanted = "\u{2068}Cleo Park\u{2069} (\u{2068}1011\u{2069}) · Available";
        contacts.text().await.ok()?.contains(wanted).then_some(())
    })
    .await;
    contacts.select_by_value("1011").await.unwrap();
    let chosen = by_role(b, "textbox", "Transfer to").await.unwrap().prop("value").await.unwrap();
    assert_eq!(chosen.as_deref(), Some("1011"));
    by_role(b, "button", "Transfer now").await.unwrap().click().await.unwrap();
    wait_for_role(c, "alertdialog", "Incoming call", PATIENCE).await.expect("C rings");
    // A sees who is transferring them where, on the new call.
    call_shows(a, "1011", "\u{2068}1010\u{2069} is transferring you to \u{2068}1011\u{2069}").await;
    by_role(c, "button", "Answer").await.unwrap().click().await.unwrap();
    call_shows(a, "1011", "Connected").await;
    eventually("B's call to end", || async { e2e::call_region(b).await.is_err().then_some(()) }).await;
    audio_flows(a, 25).await;

    // Attended: C consults B, then connects A with B.
    click_in_call(c, "1009", "Transfer").await;
    by_role(c, "textbox", "Transfer to").await.unwrap().send_keys("1010").await.unwrap();
    by_role(c, "button", "Consult").await.unwrap().click().await.unwrap();
    call_shows(c, "1009", "On hold").await;
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("B rings for the consultation");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_shows(c, "1010", "Connected").await;
    screenshot(c, "attended-transfer").await;
    click_in_call(c, "1009", "Complete transfer").await;
    call_shows(a, "1010", "Connected").await;
    eventually("C's calls to end", || async { e2e::call_region(c).await.is_err().then_some(()) }).await;
    assert!(by_role(b, "alertdialog", "Incoming call").await.is_err(), "the replacing call does not ring");
    audio_flows(a, 25).await;
    by_role(a, "button", "Hang up").await.unwrap().click().await.unwrap();
    for browser in [a_browser, b_browser, c_browser] {
        browser.close().await;
    }
}

#[tokio::test]
async fn a_second_call_rings_during_a_call_and_answering_it_holds_the_first() {
    let server = devserver().await;
    let a_browser = signed_in_browser_watching_audio(&server.widget, "1012").await;
    let b_browser = signed_in_browser_watching_audio(&server.widget, "1013").await;
    let c_browser = signed_in_browser(&server.widget, "1014").await;
    let (a, b, c) = (&a_browser.client, &b_browser.client, &c_browser.client);
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1013\u{e007}").await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("B rings");
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_shows(b, "1012", "Connected").await;
    let heard = held_party_hears(a, "before the second call").await;

    by_role(c, "textbox", "Number").await.unwrap().send_keys("1013\u{e007}").await.unwrap();
    let waiting = wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the second call rings");
    assert!(waiting.text().await.unwrap().contains("1014"));
    wait_for_sounds(b, &["call-waiting"]).await;
    call_shows(b, "1012", "Connected").await;
    by_role(b, "button", "Answer").await.unwrap().click().await.unwrap();
    call_shows(b, "1014", "Connected").await;
    call_shows(b, "1012", "On hold").await;
    wait_for_sounds(b, &[]).await;
    // A, held because B answered another call, does not hear B talk to C.
    held_party_hears_silence(a, heard).await;

    click_in_call(b, "1014", "Hang up").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let held = received_after_a_while(a).await;
    click_in_call(b, "1012", "Resume").await;
    call_shows(b, "1012", "Connected").await;
    eventually("A to hear B again", || async { (received_after_a_while(a).await >= held + 25).then_some(()) }).await;
    held_party_hears_again(a, b).await;
    click_in_call(b, "1012", "Hang up").await;
    for browser in [a_browser, b_browser, c_browser] {
        browser.close().await;
    }
}
