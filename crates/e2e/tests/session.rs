//! The agent's session: "Remember me on this computer" signs a new tab in by itself, Sign out
//! forgets it; Call back dials a number from Recent calls; the keyboard shortcuts answer, mute,
//! hold and hang up.

use e2e::{PATIENCE, by_role, devserver, eventually, signed_in_browser, wait_for_role, wait_for_status};
use fantoccini::{Client, Locator};

/// Presses Alt and `key` on the page (the shortcuts act while the phone has the focus).
async fn shortcut(client: &Client, key: char) {
    let body = client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&format!("\u{e00a}{key}\u{e000}")).await.unwrap();
}

/// Whether the page asks the agent before it goes away (what a reload or closing would see).
async fn leaving_is_questioned(client: &Client) -> bool {
    let script = "const leaving = new Event('beforeunload', { cancelable: true }); \
                  window.dispatchEvent(leaving); return leaving.defaultPrevented;";
    client.execute(script, vec![]).await.unwrap().as_bool().expect("a boolean")
}

async fn call_shows(client: &Client, expected: &str) {
    eventually(&format!("the call to show {expected:?}"), || async {
        let text = e2e::call_text(client).await?;
        text.contains(expected).then_some(())
    })
    .await;
}

#[tokio::test]
async fn remember_me_sign_out_call_back_and_shortcuts() {
    let server = devserver().await;
    let agent = e2e::Browser::start().await;
    let colleague = signed_in_browser(&server.widget, "1016").await;
    let (a, b) = (&agent.client, &colleague.client);

    // Remembered: a new tab of the same browser signs in by itself.
    a.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(a, "textbox", "Username", PATIENCE).await.unwrap().send_keys("1015").await.unwrap();
    by_role(a, "textbox", "Password").await.unwrap().send_keys("lab-1015-pw").await.unwrap();
    by_role(a, "checkbox", "Remember me on this computer").await.unwrap().click().await.unwrap();
    by_role(a, "button", "Sign in").await.unwrap().click().await.unwrap();
    wait_for_status(a, "Registered as 1015").await;
    // The first tab closes (and unregisters), so that the new one is the agent's only phone.
    let second_tab = a.new_window(true).await.unwrap();
    a.close_window().await.unwrap();
    a.switch_to_window(second_tab.handle).await.unwrap();
    a.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_status(a, "Registered as 1015").await;

    // A call with the shortcuts: Alt+A answers, Alt+M mutes, Alt+O holds, Alt+H hangs up.
    assert!(!leaving_is_questioned(a).await, "no question without a call");
    by_role(b, "textbox", "Number").await.unwrap().send_keys("1015\u{e007}").await.unwrap();
    wait_for_role(a, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    shortcut(a, 'a').await;
    call_shows(a, "Connected").await;
    assert!(leaving_is_questioned(a).await, "closing the window during a call is questioned first");
    shortcut(a, 'm').await;
    eventually("muted", || async {
        let pressed = by_role(a, "button", "Unmute").await.ok()?.attr("aria-pressed").await.ok()??;
        (pressed == "true").then_some(())
    })
    .await;
    shortcut(a, 'o').await;
    call_shows(a, "On hold").await;
    shortcut(a, 'h').await;
    eventually("the call to end", || async { e2e::call_region(b).await.is_err().then_some(()) }).await;
    eventually("no question once the call ended", || async { (!leaving_is_questioned(a).await).then_some(()) }).await;

    // Call back from Recent calls.
    by_role(a, "tab", "History").await.unwrap().click().await.unwrap();
    eventually("the call in Recent calls", || async {
        let text = by_role(a, "list", "Recent calls").await.ok()?.text().await.ok()?;
        text.contains("1016").then_some(())
    })
    .await;
    by_role(a, "button", "Call back").await.unwrap().click().await.unwrap();
    wait_for_role(b, "alertdialog", "Incoming call", PATIENCE).await.expect("the call back rings");
    by_role(b, "button", "Decline").await.unwrap().click().await.unwrap();

    // Signed out: the remembered sign-in is forgotten, a reload shows the sign-in form.
    by_role(a, "button", "Sign out").await.unwrap().click().await.unwrap();
    wait_for_status(a, "Phone offline").await;
    a.refresh().await.unwrap();
    wait_for_role(a, "textbox", "Username", PATIENCE).await.expect("the sign-in form after a reload");
    wait_for_status(a, "Phone offline").await;
    agent.close().await;
    colleague.close().await;
}
