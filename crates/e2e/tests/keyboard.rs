//! The phone by keyboard alone, with the focus where a screen-reader user expects it: an agent in
//! the pop-out view signs in (the focus then on Status), goes Not Ready and Ready again with the
//! arrow keys, takes a colleague's call (the ringing dialog takes the focus; Tab, Enter answers;
//! the focus on the call), holds and resumes it, transfers it by Tab and typing, then answers the
//! next call with Alt+A and hangs up, the focus never falling to the page's body. Every key goes
//! through WebDriver's keyboard actions to whatever has the focus; nothing is clicked.
//! Needs the Kamailio lab (`$LAB_WS_PORT`), agents 1098–1100.

use e2e::{
    Browser, PATIENCE, accessible_name, by_role, call_region, computed_role, devserver, eventually, signed_in_browser,
    wait_for_call_region, wait_for_role, wait_for_status,
};
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};

const TAB: char = '\u{e004}';
const ENTER: char = '\u{e007}';
const ALT: char = '\u{e00a}';
const ARROW_UP: char = '\u{e013}';
const ARROW_DOWN: char = '\u{e015}';

/// Presses `keys` together (down in order, up in reverse), on whatever has the focus.
async fn press(client: &Client, keys: &[char]) {
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys {
        actions = actions.then(KeyAction::Down { value: *key });
    }
    for key in keys.iter().rev() {
        actions = actions.then(KeyAction::Up { value: *key });
    }
    client.perform_actions(actions).await.expect("press keys");
}

/// Types `text` into whatever has the focus.
async fn type_text(client: &Client, text: &str) {
    for key in text.chars() {
        press(client, &[key]).await;
    }
}

/// The role and accessible name of the element that has the focus ("" for the page's body).
async fn focused(client: &Client) -> (String, String) {
    let element = client.active_element().await.expect("the focused element");
    let tag = element.tag_name().await.unwrap_or_default();
    if tag.eq_ignore_ascii_case("body") {
        return (String::new(), String::new());
    }
    let role = computed_role(client, &element).await.unwrap_or_default();
    let name = accessible_name(client, &element).await.unwrap_or_default();
    (role, name)
}

/// Waits until the focus is on the element with `role` whose name starts with `name`.
async fn focus_is_on(client: &Client, role: &str, name: &str) {
    eventually(&format!("the focus on the {role} {name:?}"), || async {
        let (now_role, now_name) = focused(client).await;
        (now_role == role && now_name.starts_with(name)).then_some(())
    })
    .await;
}

/// Presses Tab until the focus is on `role` named `name` (at most 15 times), as a keyboard user
/// moves through the phone.
async fn tab_to(client: &Client, role: &str, name: &str) {
    for _ in 0..15 {
        let (now_role, now_name) = focused(client).await;
        if now_role == role && now_name == name {
            return;
        }
        press(client, &[TAB]).await;
    }
    panic!("Tab never reached the {role} {name:?}; the focus is on {:?}", focused(client).await);
}

#[tokio::test]
async fn an_agent_works_a_shift_by_keyboard_alone() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form");

    // Sign in: Tab to the form, type, Enter.
    tab_to(client, "textbox", "Username").await;
    type_text(client, "1098").await;
    press(client, &[TAB]).await;
    focus_is_on(client, "textbox", "Password").await;
    type_text(client, "lab-1098-pw").await;
    press(client, &[ENTER]).await;
    wait_for_status(client, "Registered as 1098").await;
    focus_is_on(client, "combobox", "Status").await;

    // Not Ready and back with the arrow keys on the Status control.
    let status_value = || async { by_role(client, "combobox", "Status").await.ok()?.prop("value").await.ok()? };
    press(client, &[ARROW_DOWN]).await;
    eventually("Not Ready", || async { status_value().await.filter(|v| v.starts_with("not-ready")).map(|_| ()) }).await;
    press(client, &[ARROW_UP]).await;
    eventually("Ready again", || async { status_value().await.filter(|v| v == "ready").map(|_| ()) }).await;

    // A colleague calls: the ringing dialog takes the focus, Tab reaches Answer, Enter answers,
    // and the focus is on the call.
    let colleague = signed_in_browser(&server.widget, "1099").await;
    let target = signed_in_browser(&server.widget, "1100").await;
    by_role(&colleague.client, "textbox", "Number").await.unwrap().send_keys("1098\u{e007}").await.unwrap();
    focus_is_on(client, "alertdialog", "Incoming call").await;
    press(client, &[TAB]).await;
    focus_is_on(client, "button", "Answer").await;
    press(client, &[ENTER]).await;
    wait_for_call_region(client, PATIENCE).await.expect("the call");
    focus_is_on(client, "region", "Call with ").await;

    // Hold and resume: Tab to Hold, Enter, and the same button is Resume.
    eventually("the call to connect", || async {
        e2e::call_text(client).await.filter(|t| t.contains("Connected")).map(|_| ())
    })
    .await;
    tab_to(client, "button", "Hold").await;
    press(client, &[ENTER]).await;
    focus_is_on(client, "button", "Resume").await;
    eventually("the call held", || async {
        let name = accessible_name(client, &call_region(client).await.ok()?).await?;
        name.ends_with(", on hold").then_some(())
    })
    .await;
    press(client, &[ENTER]).await;
    focus_is_on(client, "button", "Hold").await;

    // Transfer: Tab to Transfer, Enter opens the form, Tab to its box, type, Tab to Transfer now.
    tab_to(client, "button", "Transfer").await;
    press(client, &[ENTER]).await;
    tab_to(client, "textbox", "Transfer to").await;
    type_text(client, "1100").await;
    tab_to(client, "button", "Transfer now").await;
    press(client, &[ENTER]).await;
    wait_for_role(&target.client, "alertdialog", "Incoming call", PATIENCE).await.expect("the transfer rings");
    by_role(&target.client, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("the transferred call to leave the agent", || async {
        call_region(client).await.is_err().then_some(())
    })
    .await;
    eventually("the focus somewhere after the call", || async {
        let (role, _) = focused(client).await;
        (!role.is_empty()).then_some(())
    })
    .await;
    by_role(&target.client, "button", "Hang up").await.unwrap().click().await.unwrap();

    // The next call: Alt+A answers it, and Tab then Enter on Hang up ends it.
    eventually("the colleague's call to end", || async { call_region(&colleague.client).await.is_err().then_some(()) })
        .await;
    by_role(&colleague.client, "button", "Call").await.unwrap().click().await.unwrap();
    focus_is_on(client, "alertdialog", "Incoming call").await;
    press(client, &[ALT, 'a']).await;
    wait_for_call_region(client, PATIENCE).await.expect("the second call");
    focus_is_on(client, "region", "Call with ").await;
    tab_to(client, "button", "Hang up").await;
    press(client, &[ENTER]).await;
    eventually("the call to end", || async { call_region(client).await.is_err().then_some(()) }).await;
    let (role, name) = focused(client).await;
    assert!(!role.is_empty(), "after the hang-up the focus is not on the page's body");
    assert!(["combobox", "textbox"].contains(&role.as_str()), "the focus went to {role} {name:?}");

    target.close().await;
    colleague.close().await;
    agent.close().await;
}
