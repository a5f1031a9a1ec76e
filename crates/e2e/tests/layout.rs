//! The phone in a small panel. In every view (ServiceNow's OpenFrame panel, Salesforce
//! Lightning's and Classic's softphone, the pop-out window) at 373 × 300, OpenFrame's default
//! size, and at 373 × 420: signed in, the agent's Status, the Number box, Call and the whole
//! keypad are inside the panel without any scrolling, and no text is cut short silently; while a
//! call rings, its Answer and Decline; during the call, the call's timer and controls, with one
//! keypad at a time. The other party's hold shows on the held side ("Held by the other party"),
//! our own on ours, each call named after its party and state. axe-core finds nothing wrong in
//! any of these moments, nor in the sign-in form, each tab and a conversation (WCAG 2.2, A and
//! AA, contrast included). Each view is checked in English and in Japanese (the agent's browser
//! speaking it), every element found by role and its name in that language, read from the
//! widget's catalogs. Screenshots of each view go to `target/screenshots` (to `docs/screenshots`
//! with `FRAMEPHONE_DOCS_SCREENSHOTS=1`), the Japanese ones named `ja-…`, those at 420 px
//! `…-420-…`.
//! Needs the Kamailio lab (`$LAB_WS_PORT`), agents 1090–1097 and 1106–1129.

use e2e::{
    Browser, PATIENCE, Words, by_role, by_role_starting, devserver, enter_widget, eventually, signed_in_browser,
    wait_for_role,
};
use fantoccini::{Client, Locator};

/// The width the phone is designed for: OpenFrame's default; its heights are 300 (OpenFrame's
/// default) and 420.
const WIDTH: f64 = 373.0;

/// A view of the dev server (`devserver::Running::views`) and where its phone is: the frame's
/// CSS selector in the host page, or none for the pop-out; the language its agent's browser
/// speaks (`en`, `ja`); and the panel's height.
struct View {
    name: &'static str,
    frame: Option<&'static str>,
    language: &'static str,
    height: f64,
}

impl View {
    /// How a failure names the view: "ServiceNow (ja, 373 × 420)".
    fn title(&self) -> String {
        format!("{} ({}, {WIDTH} × {})", self.name, self.language, self.height)
    }
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

/// The call in progress: the region named after it ("Call with …"), by the words before its
/// party in the view's language.
async fn call_region(client: &Client, words: &Words) -> Result<fantoccini::elements::Element, String> {
    let (before, _) = words.around("calls.name.connected", "party");
    by_role_starting(client, "region", &before).await
}

/// What is wrong with the layout now: an element (found by role and name) that is missing or
/// outside the viewport, scrolling, or text cut short without its whole value in a tooltip.
async fn layout_problems(client: &Client, words: &Words, panel: f64, elements: &[(&str, String)]) -> Vec<String> {
    let (width, height) = viewport(client).await;
    let mut problems = Vec::new();
    // A frame's border (Classic's sidebar draws one) takes its pixels from the configured size.
    if (WIDTH - width).abs() > 2.0 || (panel - height).abs() > 2.0 {
        problems.push(format!("the panel is {width} × {height}, not {WIDTH} × {panel}"));
    }
    for (role, name) in elements {
        let element =
            if *role == "region" { call_region(client, words).await } else { by_role(client, role, name).await };
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
async fn assert_fits(client: &Client, words: &Words, view: &View, moment: &str, elements: &[(&str, String)]) {
    let problems = layout_problems(client, words, view.height, elements).await;
    let name = view.title();
    assert!(problems.is_empty(), "{name}, {moment}: {problems:#?}");
    assert_accessible(client, &name, moment).await;
}

/// Fails the test with every WCAG 2.2 A or AA rule axe-core finds broken.
async fn assert_accessible(client: &Client, view: &str, moment: &str) {
    let violations = e2e::axe::violations(client).await;
    assert!(violations.is_empty(), "{view}, {moment}: axe-core finds {violations:#?}");
}

/// A screenshot of the whole host page with the phone in it.
async fn screenshot(client: &Client, view: &View, moment: &str) {
    client.enter_parent_frame().await.ok();
    let language = if view.language == "en" { String::new() } else { format!("{}-", view.language) };
    let height = if view.height == 300.0 { String::new() } else { format!("-{}", view.height) };
    let host = view.name.to_lowercase().replace(' ', "-");
    e2e::screenshot(client, &format!("{language}{host}{height}-{moment}")).await;
    enter(client, view).await;
}

/// What must be in view while the agent waits for calls: roles and catalog keys.
const IDLE: [(&str, &str); 6] = [
    ("combobox", "panel.agent.status"),
    ("button", "phone.sign-out"),
    ("textbox", "panel.dial-pad.number"),
    ("button", "panel.call"),
    ("group", "panel.dial-pad.keypad"),
    ("tab", "tab.settings"),
];

/// What must be in view during a call (the region's name is the call's).
const IN_CALL: [(&str, &str); 9] = [
    ("combobox", "panel.agent.status"),
    ("region", "calls.name.connected"),
    ("button", "calls.control.mute"),
    ("button", "calls.control.hold"),
    ("button", "calls.control.keypad"),
    ("button", "calls.control.transfer"),
    ("button", "calls.control.hang-up"),
    ("textbox", "panel.dial-pad.number"),
    ("button", "panel.call"),
];

/// `elements` with their names in `words`.
fn named(words: &Words, elements: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    elements.iter().map(|(role, key)| (*role, words.get(key))).collect()
}

/// The whole check in one view: `agent` signs in there, `colleague` calls from a pop-out.
async fn fits_in(view: View, agent: &str, colleague: &str) {
    let server = devserver().await;
    let url = server.views().into_iter().find(|(name, _)| *name == view.name).map(|(_, url)| url).expect("the view");
    server.amend_config(serde_json::json!({ "panel": { "width": WIDTH as u32, "height": view.height as u32 } }));
    let words = Words::of(view.language);
    let words = &words;
    let word = |key: &str| words.get(key);
    let browser =
        if view.language == "en" { Browser::start().await } else { Browser::start_in_language(view.language).await };
    let client = &browser.client;
    if view.frame.is_none() {
        // The window's outer size is set: grow it by what the browser's frame takes.
        client.set_window_size(WIDTH as u32, view.height as u32).await.expect("size the window");
        client.goto(&url).await.unwrap();
        let (width, height) = viewport(client).await;
        let outer = ((2.0 * WIDTH - width) as u32, (2.0 * view.height - height) as u32);
        client.set_window_size(outer.0, outer.1).await.expect("size the window");
    } else {
        client.goto(&url).await.unwrap();
    }
    enter(client, &view).await;
    let name = &view.title();
    wait_for_role(client, "button", &word("panel.sign-in.sign-in"), PATIENCE).await.expect("the sign-in form");
    assert_accessible(client, name, "the sign-in form").await;
    by_role(client, "textbox", &word("panel.sign-in.username")).await.unwrap().send_keys(agent).await.unwrap();
    let password = by_role(client, "textbox", &word("panel.sign-in.password")).await.unwrap();
    password.send_keys(&format!("lab-{agent}-pw")).await.unwrap();
    by_role(client, "button", &word("panel.sign-in.sign-in")).await.unwrap().click().await.unwrap();
    let registered = words.with("session.status.registered-as", &[("user", agent)]);
    eventually("the phone to register", || async {
        let status = by_role(client, "status", "").await.ok()?.text().await.ok()?;
        status.contains(&registered).then_some(())
    })
    .await;
    screenshot(client, &view, "ready").await;
    assert_fits(client, words, &view, "signed in", &named(words, &IDLE)).await;
    for tab in ["tab.directory", "tab.history", "tab.messages", "tab.settings", "tab.dial-pad"] {
        by_role(client, "tab", &word(tab)).await.unwrap().click().await.unwrap();
        assert_accessible(client, name, &format!("the {tab} tab")).await;
    }
    // A conversation: its messages, the box and Send in the panel.
    by_role(client, "tab", &word("tab.messages")).await.unwrap().click().await.unwrap();
    by_role(client, "combobox", &word("panel.messages.to")).await.unwrap().send_keys(colleague).await.unwrap();
    by_role(client, "button", &word("panel.messages.new-message")).await.unwrap().click().await.unwrap();
    let writing = [
        ("combobox", word("panel.agent.status")),
        ("textbox", words.with("panel.messages.box", &[("name", colleague)])),
        ("button", word("panel.messages.send")),
    ];
    assert_fits(client, words, &view, "in a conversation", &writing).await;
    screenshot(client, &view, "conversation").await;
    by_role(client, "button", &word("panel.messages.all-conversations")).await.unwrap().click().await.unwrap();
    by_role(client, "tab", &word("tab.dial-pad")).await.unwrap().click().await.unwrap();

    // The colleague's pop-out speaks English.
    let english = Words::of("en");
    let caller = signed_in_browser(&server.widget, colleague).await;
    let other = &caller.client;
    by_role(other, "textbox", "Number").await.unwrap().send_keys(&format!("{agent}\u{e007}")).await.unwrap();
    wait_for_role(client, "alertdialog", &word("calls.incoming.title"), PATIENCE).await.expect("the call rings");
    screenshot(client, &view, "incoming-call").await;
    let ringing =
        [("combobox", "panel.agent.status"), ("button", "calls.incoming.answer"), ("button", "calls.incoming.decline")];
    assert_fits(client, words, &view, "ringing", &named(words, &ringing)).await;
    by_role(client, "button", &word("calls.incoming.answer")).await.unwrap().click().await.unwrap();
    eventually("the call", || async { call_region(client, words).await.ok() }).await;
    let connected = word("calls.stage.connected");
    eventually("the call to connect", || async {
        let text = call_region(client, words).await.ok()?.prop("textContent").await.ok()??;
        text.contains(&connected).then_some(())
    })
    .await;
    screenshot(client, &view, "active-call").await;
    assert_fits(client, words, &view, "in a call", &named(words, &IN_CALL)).await;
    let dial_keys = word("panel.dial-pad.keypad");
    assert!(by_role(client, "group", &dial_keys).await.is_err(), "{name}: the dial pad's keys make way during a call");
    // One keypad at a time: the call's keypad opens in the call.
    by_role(client, "button", &word("calls.control.keypad")).await.unwrap().click().await.unwrap();
    by_role(client, "group", &word("calls.keypad")).await.expect("the call's keypad");
    screenshot(client, &view, "call-keypad").await;
    by_role(client, "button", &word("calls.control.keypad")).await.unwrap().click().await.unwrap();

    // Each side says who holds: our hold here, theirs there, and the names say so too.
    by_role(client, "button", &word("calls.control.hold")).await.unwrap().click().await.unwrap();
    let (held_before, held_after) = words.around("calls.name.on-hold", "party");
    eventually("the call to be named as held", || async {
        let region = call_region(client, words).await.ok()?;
        let name = e2e::accessible_name(client, &region).await?;
        (name.starts_with(&held_before) && name.ends_with(&held_after)).then_some(())
    })
    .await;
    let held_there = english.get("calls.stage.held-there");
    eventually("the colleague to see the hold", || async {
        e2e::call_text(other).await.filter(|text| text.contains(&held_there)).map(|_| ())
    })
    .await;
    let on_hold =
        [("combobox", "panel.agent.status"), ("button", "calls.control.resume"), ("button", "calls.control.hang-up")];
    assert_fits(client, words, &view, "on hold", &named(words, &on_hold)).await;
    by_role(client, "button", &word("calls.control.resume")).await.unwrap().click().await.unwrap();
    let resumed = english.get("calls.stage.connected");
    eventually("the colleague to see the call resumed", || async {
        e2e::call_text(other).await.filter(|text| text.contains(&resumed)).map(|_| ())
    })
    .await;
    by_role(client, "button", &word("calls.control.hang-up")).await.unwrap().click().await.unwrap();
    eventually("the call to end", || async { call_region(other, &english).await.is_err().then_some(()) }).await;
    assert!(client.find(Locator::Css(".fp-phone")).await.is_ok());
    caller.close().await;
    browser.close().await;
}

/// One test of `fits_in`: its name, the view, its frame, the language, the panel's height, the
/// agent and the colleague who calls.
macro_rules! fits {
    ($test:ident, $view:literal, $frame:expr, $language:literal, $height:literal, $agent:literal, $colleague:literal) => {
        #[tokio::test]
        async fn $test() {
            let view = View { name: $view, frame: $frame, language: $language, height: $height };
            fits_in(view, $agent, $colleague).await;
        }
    };
}

fits!(the_phone_fits_servicenow_s_default_panel, "ServiceNow", Some("#openframe"), "en", 300.0, "1090", "1094");
fits!(lightning_s_softphone_at_the_same_size, "Salesforce Lightning", Some("#softphone"), "en", 300.0, "1091", "1095");
fits!(classic_s_softphone_at_the_same_size, "Salesforce Classic", Some("#softphone"), "en", 300.0, "1092", "1096");
fits!(a_pop_out_window_of_the_same_size, "Pop-out", None, "en", 300.0, "1093", "1097");
fits!(servicenow_in_japanese, "ServiceNow", Some("#openframe"), "ja", 300.0, "1106", "1110");
fits!(lightning_in_japanese, "Salesforce Lightning", Some("#softphone"), "ja", 300.0, "1107", "1111");
fits!(classic_in_japanese, "Salesforce Classic", Some("#softphone"), "ja", 300.0, "1108", "1112");
fits!(a_pop_out_window_in_japanese, "Pop-out", None, "ja", 300.0, "1109", "1113");
fits!(servicenow_at_420, "ServiceNow", Some("#openframe"), "en", 420.0, "1114", "1118");
fits!(lightning_at_420, "Salesforce Lightning", Some("#softphone"), "en", 420.0, "1115", "1119");
fits!(classic_at_420, "Salesforce Classic", Some("#softphone"), "en", 420.0, "1116", "1120");
fits!(a_pop_out_window_at_420, "Pop-out", None, "en", 420.0, "1117", "1121");
fits!(servicenow_in_japanese_at_420, "ServiceNow", Some("#openframe"), "ja", 420.0, "1122", "1126");
fits!(lightning_in_japanese_at_420, "Salesforce Lightning", Some("#softphone"), "ja", 420.0, "1123", "1127");
fits!(classic_in_japanese_at_420, "Salesforce Classic", Some("#softphone"), "ja", 420.0, "1124", "1128");
fits!(a_pop_out_window_in_japanese_at_420, "Pop-out", None, "ja", 420.0, "1125", "1129");
