//! The phone in a small panel. In every view (ServiceNow's OpenFrame panel, Salesforce
//! Lightning's and Classic's softphone, the pop-out window) at 373 × 300, OpenFrame's default
//! size: signed in, the agent's Status, the Number box, Call and the whole keypad are inside the
//! panel without any scrolling, and no text is cut short silently; while a call rings, its
//! Answer and Decline; during the call, the call's timer and controls, with one keypad at a
//! time. The other party's hold shows on the held side ("Held by the other party"), our own on
//! ours, each call named after its party and state. axe-core finds nothing wrong in any of these
//! moments, nor in the sign-in form and each tab (WCAG 2.2, A and AA, contrast included). Screenshots of each view go to
//! `target/screenshots` (to `docs/screenshots` with `FRAMEPHONE_DOCS_SCREENSHOTS=1`).
//! Needs the Kamailio lab (`$LAB_WS_PORT`), agents 1090–1097.

use e2e::{
    Browser, PATIENCE, by_role, call_region, devserver, enter_widget, eventually, sign_in, signed_in_browser,
    wait_for_call_region, wait_for_role,
};
use fantoccini::{Client, Locator};

/// The size the phone is designed for.
const PANEL: (f64, f64) = (373.0, 300.0);

/// A view of the dev server (`devserver::Running::views`) and where its phone is: the frame's
/// CSS selector in the host page, or none for the pop-out.
struct View {
    name: &'static str,
    frame: Option<&'static str>,
}

/// Enters the phone's document (the frame, or the pop-out page itself).
async fn enter(client: &Client, view: &View) {
    if let Some(frame) = view.frame {
        enter_widget(client, frame).await;
    }
}

/// The phone's viewport: its frame's inner size.
async fn viewport(client: &Client) -> (f64, f64) {
    let size = client.execute("return [innerWidth, innerHeight]", vec![]).await.expect("read the viewport");
    let read = |i: usize| size[i].as_f64().unwrap_or_default();
    (read(0), read(1))
}

/// What is wrong with the layout now: an element (found by role and name) that is missing or
/// outside the viewport, scrolling, or text cut short without its whole value in a tooltip.
async fn layout_problems(client: &Client, elements: &[(&str, &str)]) -> Vec<String> {
    let (width, height) = viewport(client).await;
    let mut problems = Vec::new();
    // A frame's border (Classic's sidebar draws one) takes its pixels from the configured size.
    if (PANEL.0 - width).abs() > 2.0 || (PANEL.1 - height).abs() > 2.0 {
        problems.push(format!("the panel is {width} × {height}, not {} × {}", PANEL.0, PANEL.1));
    }
    for (role, name) in elements {
        let element = if *role == "region" { call_region(client).await } else { by_role(client, role, name).await };
        let Ok(element) = element else {
            problems.push(format!("no {role} {name:?}"));
            continue;
        };
        let (x, y, w, h) = element.rectangle().await.expect("the element's rectangle");
        if w < 1.0 || h < 1.0 || x < 0.0 || y < 0.0 || x + w > width + 0.5 || y + h > height + 0.5 {
            problems
                .push(format!("{role} {name:?} at ({x:.0}, {y:.0}) {w:.0} × {h:.0} is not inside {width} × {height}"));
        }
    }
    let script = "const out = [];
        const phone = document.querySelector('.fp-phone');
        if (phone.scrollHeight > phone.clientHeight + 1) out.push(`the phone scrolls: ${phone.scrollHeight} > ${phone.clientHeight}`);
        const page = document.scrollingElement;
        if (page.scrollHeight > innerHeight + 1 || page.scrollWidth > innerWidth + 1) out.push('the page scrolls');
        for (const e of phone.querySelectorAll('*')) {
          if (e.closest('[hidden], .fp-sr-only, details:not([open]) > :not(summary)')) continue;
          const style = getComputedStyle(e);
          const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
          if (clips && e.scrollWidth > e.clientWidth + 1 && !e.closest('[title]') && !['SELECT', 'INPUT'].includes(e.tagName))
            out.push(`cut short: ${e.className || e.tagName} ${JSON.stringify(e.textContent.slice(0, 60))}`);
        }
        return out;";
    let found = client.execute(script, vec![]).await.expect("read the layout");
    problems.extend(found.as_array().into_iter().flatten().filter_map(|p| p.as_str().map(str::to_owned)));
    problems
}

/// Fails the test with every problem when there is one: of the layout, or any WCAG 2.2 A or
/// AA rule axe-core checks (contrast included).
async fn assert_fits(client: &Client, view: &str, moment: &str, elements: &[(&str, &str)]) {
    let problems = layout_problems(client, elements).await;
    assert!(problems.is_empty(), "{view}, {moment}: {problems:#?}");
    assert_accessible(client, view, moment).await;
}

/// Fails the test with every WCAG 2.2 A or AA rule axe-core finds broken.
async fn assert_accessible(client: &Client, view: &str, moment: &str) {
    let violations = e2e::axe::violations(client).await;
    assert!(violations.is_empty(), "{view}, {moment}: axe-core finds {violations:#?}");
}

/// A screenshot of the whole host page with the phone in it.
async fn screenshot(client: &Client, view: &View, moment: &str) {
    client.enter_parent_frame().await.ok();
    e2e::screenshot(client, &format!("{}-{moment}", view.name.to_lowercase().replace(' ', "-"))).await;
    enter(client, view).await;
}

/// What must be in view while the agent waits for calls.
const IDLE: [(&str, &str); 6] = [
    ("combobox", "Status"),
    ("button", "Sign out"),
    ("textbox", "Number"),
    ("button", "Call"),
    ("group", "Keypad"),
    ("tab", "Settings"),
];

/// What must be in view during a call.
const IN_CALL: [(&str, &str); 9] = [
    ("combobox", "Status"),
    ("region", "Call with …"),
    ("button", "Mute"),
    ("button", "Hold"),
    ("button", "Keypad"),
    ("button", "Transfer"),
    ("button", "Hang up"),
    ("textbox", "Number"),
    ("button", "Call"),
];

/// The whole check in one view: `agent` signs in there, `colleague` calls from a pop-out.
async fn fits_in(view: View, agent: &str, colleague: &str) {
    let server = devserver().await;
    let url = server.views().into_iter().find(|(name, _)| *name == view.name).map(|(_, url)| url).expect("the view");
    server.amend_config(serde_json::json!({ "panel": { "width": PANEL.0 as u32, "height": PANEL.1 as u32 } }));
    let browser = Browser::start().await;
    let client = &browser.client;
    if view.frame.is_none() {
        // The window's outer size is set: grow it by what the browser's frame takes.
        client.set_window_size(PANEL.0 as u32, PANEL.1 as u32).await.expect("size the window");
        client.goto(&url).await.unwrap();
        let (width, height) = viewport(client).await;
        let outer = ((2.0 * PANEL.0 - width) as u32, (2.0 * PANEL.1 - height) as u32);
        client.set_window_size(outer.0, outer.1).await.expect("size the window");
    } else {
        client.goto(&url).await.unwrap();
    }
    enter(client, &view).await;
    let name = view.name;
    wait_for_role(client, "button", "Sign in", PATIENCE).await.expect("the sign-in form");
    assert_accessible(client, name, "the sign-in form").await;
    sign_in(client, agent).await;
    screenshot(client, &view, "ready").await;
    assert_fits(client, name, "signed in", &IDLE).await;
    for tab in ["Directory", "History", "Messages", "Settings", "Dial pad"] {
        by_role(client, "tab", tab).await.unwrap().click().await.unwrap();
        assert_accessible(client, name, &format!("the {tab} tab")).await;
    }
    // A conversation: its messages, the box and Send in the panel.
    by_role(client, "tab", "Messages").await.unwrap().click().await.unwrap();
    by_role(client, "combobox", "To").await.unwrap().send_keys(colleague).await.unwrap();
    by_role(client, "button", "New message").await.unwrap().click().await.unwrap();
    let message_box = format!("Message to {colleague}");
    let writing = [("combobox", "Status"), ("textbox", message_box.as_str()), ("button", "Send")];
    assert_fits(client, name, "in a conversation", &writing).await;
    screenshot(client, &view, "conversation").await;
    by_role(client, "button", "All conversations").await.unwrap().click().await.unwrap();
    by_role(client, "tab", "Dial pad").await.unwrap().click().await.unwrap();

    let caller = signed_in_browser(&server.widget, colleague).await;
    let other = &caller.client;
    by_role(other, "textbox", "Number").await.unwrap().send_keys(&format!("{agent}\u{e007}")).await.unwrap();
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    screenshot(client, &view, "incoming-call").await;
    assert_fits(client, name, "ringing", &[("combobox", "Status"), ("button", "Answer"), ("button", "Decline")]).await;
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    wait_for_call_region(client, PATIENCE).await.expect("the call");
    eventually("the call to connect", || async {
        e2e::call_text(client).await.filter(|text| text.contains("Connected")).map(|_| ())
    })
    .await;
    screenshot(client, &view, "active-call").await;
    assert_fits(client, name, "in a call", &IN_CALL).await;
    assert!(by_role(client, "group", "Keypad").await.is_err(), "{name}: the dial pad's keys make way during a call");
    // One keypad at a time: the call's keypad opens in the call.
    by_role(client, "button", "Keypad").await.unwrap().click().await.unwrap();
    by_role(client, "group", "Call keypad").await.expect("the call's keypad");
    screenshot(client, &view, "call-keypad").await;
    by_role(client, "button", "Keypad").await.unwrap().click().await.unwrap();

    // Each side says who holds: our hold here, theirs there, and the names say so too.
    by_role(client, "button", "Hold").await.unwrap().click().await.unwrap();
    eventually("the call to be named as held", || async {
        let region = call_region(client).await.ok()?;
        let name = e2e::accessible_name(client, &region).await?;
        name.ends_with(", on hold").then_some(())
    })
    .await;
    eventually("the colleague to see the hold", || async {
        e2e::call_text(other).await.filter(|text| text.contains("Held by the other party")).map(|_| ())
    })
    .await;
    assert_fits(client, name, "on hold", &[("combobox", "Status"), ("button", "Resume"), ("button", "Hang up")]).await;
    by_role(client, "button", "Resume").await.unwrap().click().await.unwrap();
    eventually("the colleague to see the call resumed", || async {
        e2e::call_text(other).await.filter(|text| text.contains("Connected")).map(|_| ())
    })
    .await;
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the call to end", || async { call_region(other).await.is_err().then_some(()) }).await;
    assert!(client.find(Locator::Css(".fp-phone")).await.is_ok());
    caller.close().await;
    browser.close().await;
}

#[tokio::test]
async fn the_phone_fits_servicenow_s_default_panel() {
    fits_in(View { name: "ServiceNow", frame: Some("#openframe") }, "1090", "1094").await;
}

#[tokio::test]
async fn the_phone_fits_salesforce_lightning_s_softphone_panel_at_the_same_size() {
    fits_in(View { name: "Salesforce Lightning", frame: Some("#softphone") }, "1091", "1095").await;
}

#[tokio::test]
async fn the_phone_fits_salesforce_classic_s_softphone_at_the_same_size() {
    fits_in(View { name: "Salesforce Classic", frame: Some("#softphone") }, "1092", "1096").await;
}

#[tokio::test]
async fn the_phone_fits_a_pop_out_window_of_the_same_size() {
    fits_in(View { name: "Pop-out", frame: None }, "1093", "1097").await;
}
