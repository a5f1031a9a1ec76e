//! Component tests in a real browser (`wasm-pack`-free: `cargo test --target
//! wasm32-unknown-unknown` with `wasm-bindgen-test-runner` and ChromeDriver).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use framephone::command::{Command, Commands};
use framephone::host::HostKind;
use framephone::model::{CallStage, CallView, Session};
use framephone::ui::{ErrorScreen, HostStatus, KeyedList, Phone, PhoneState, Tab};
use leptos::prelude::*;
use leptos::task::tick;
use sip::agent::CallRef;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Document, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts the phone into a fresh container and returns its state and the container.
fn mount_phone(host: HostKind) -> (PhoneState, HtmlElement) {
    let (state, container, _) = mount_phone_recording(host);
    (state, container)
}

/// Mounts the phone with no phone behind it: the commands its components send are kept.
fn mount_phone_recording(host: HostKind) -> (PhoneState, HtmlElement, Rc<RefCell<Vec<Command>>>) {
    mount_phone_configured(host, "")
}

/// [`mount_phone_recording`] with more top-level configuration (`, "crm": {…}`).
fn mount_phone_configured(host: HostKind, more: &str) -> (PhoneState, HtmlElement, Rc<RefCell<Vec<Command>>>) {
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    let config = framephone::config::Config::parse(&format!(
        r#"{{"sip": {{"domain": "framephone.test", "servers": ["ws://127.0.0.1:8088"]}},
            "hosts": {{"allowedOrigins": ["http://127.0.0.1:8781"]}}{more}}}"#
    ))
    .expect("a valid configuration");
    let sent = Rc::new(RefCell::new(Vec::new()));
    let commands = {
        let sent = sent.clone();
        Commands::new(move |command| sent.borrow_mut().push(command))
    };
    let state = PhoneState::new(host, config, commands);
    let handle = leptos::mount::mount_to(container.clone(), move || {
        provide_context(state);
        view! { <Phone /> }
    });
    handle.forget();
    (state, container, sent)
}

fn find(container: &HtmlElement, selector: &str) -> HtmlElement {
    container.query_selector(selector).unwrap().unwrap_or_else(|| panic!("nothing matches {selector}")).unchecked_into()
}

/// The button whose accessible name (here: its aria-label or text) is `name`.
fn button(container: &HtmlElement, name: &str) -> HtmlElement {
    let buttons = container.query_selector_all("button").unwrap();
    (0..buttons.length())
        .filter_map(|i| buttons.item(i))
        .map(|b| b.unchecked_into::<HtmlElement>())
        .find(|b| b.get_attribute("aria-label").unwrap_or_else(|| b.text_content().unwrap_or_default()) == name)
        .unwrap_or_else(|| panic!("no button named {name:?}"))
}

fn number_box(container: &HtmlElement) -> HtmlInputElement {
    find(container, "input#fp-number").unchecked_into()
}

fn key(target: &web_sys::EventTarget, key: &str, ctrl: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_ctrl_key(ctrl);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn keypad_buttons_and_backspace_edit_the_number() {
    let (_, phone) = mount_phone(HostKind::Standalone);
    tick().await;
    let backspace = button(&phone, "Backspace");
    assert!(backspace.has_attribute("disabled"), "Backspace is disabled while the number is empty");
    for name in ["1", "2", "*", "0", "#"] {
        button(&phone, name).click();
    }
    tick().await;
    assert_eq!(number_box(&phone).value(), "12*0#");
    assert!(!backspace.has_attribute("disabled"));
    backspace.click();
    tick().await;
    assert_eq!(number_box(&phone).value(), "12*0");
    phone.remove();
}

#[wasm_bindgen_test]
async fn digits_typed_outside_the_number_box_are_dialled() {
    let (state, phone) = mount_phone(HostKind::Standalone);
    tick().await;
    let body: web_sys::EventTarget = document().body().unwrap().into();
    for k in ["4", "1", "5", "a", "Enter"] {
        key(&body, k, false);
    }
    key(&body, "9", true); // Ctrl+9 belongs to the browser or the host page.
    tick().await;
    assert_eq!(number_box(&phone).value(), "415");
    key(&body, "Backspace", false);
    tick().await;
    assert_eq!(state.number.get_untracked(), "41");
    // Keys typed into the Number box are the box's own: the page-wide handler leaves them alone.
    key(&number_box(&phone).into(), "7", false);
    tick().await;
    assert_eq!(state.number.get_untracked(), "41");
    phone.remove();
}

#[wasm_bindgen_test]
async fn tabs_switch_by_click_and_arrow_keys() {
    let (state, phone) = mount_phone(HostKind::Standalone);
    tick().await;
    let selected = |name: &str| button(&phone, name).get_attribute("aria-selected").unwrap();
    assert_eq!(selected("Dial pad"), "true");
    button(&phone, "Directory").click();
    tick().await;
    assert_eq!(selected("Directory"), "true");
    assert_eq!(selected("Dial pad"), "false");
    assert!(find(&phone, "#fp-panel-dialpad").has_attribute("hidden"));
    assert!(!find(&phone, "#fp-panel-directory").has_attribute("hidden"));
    let tablist: web_sys::EventTarget = find(&phone, "[role=tablist]").into();
    key(&tablist, "ArrowRight", false);
    tick().await;
    assert_eq!(state.tab.get_untracked(), Tab::History);
    key(&tablist, "ArrowRight", false);
    tick().await;
    assert_eq!(state.tab.get_untracked(), Tab::Messages);
    key(&tablist, "ArrowRight", false);
    tick().await;
    assert_eq!(state.tab.get_untracked(), Tab::Settings);
    key(&tablist, "ArrowRight", false);
    tick().await;
    assert_eq!(state.tab.get_untracked(), Tab::DialPad, "arrows wrap around");
    key(&tablist, "End", false);
    tick().await;
    assert_eq!(state.tab.get_untracked(), Tab::Settings);
    assert_eq!(button(&phone, "Settings").get_attribute("tabindex").as_deref(), Some("0"));
    assert_eq!(button(&phone, "Dial pad").get_attribute("tabindex").as_deref(), Some("-1"));
    phone.remove();
}

#[wasm_bindgen_test]
async fn click_to_dial_fills_the_dial_pad_and_names_the_record_as_text() {
    let (state, phone) = mount_phone(HostKind::SalesforceLightning);
    state.tab.set(Tab::History);
    tick().await;
    let hostile = "<img src=x onerror=alert(1)>";
    state.apply_dial_request("4155550131".into(), Some(hostile));
    tick().await;
    assert_eq!(state.tab.get_untracked(), Tab::DialPad);
    assert_eq!(number_box(&phone).value(), "4155550131");
    let source = find(&phone, ".fp-dialpad__source");
    assert_eq!(source.text_content().unwrap(), format!("From {hostile} (Salesforce)"));
    assert!(phone.query_selector("img").unwrap().is_none(), "a record name must never become markup");
    // Typing by hand replaces the record's attribution.
    button(&phone, "9").click();
    tick().await;
    assert_eq!(source.text_content().unwrap(), "");
    phone.remove();
}

#[wasm_bindgen_test]
async fn status_region_follows_the_host_connection() {
    let (state, phone) = mount_phone(HostKind::ServiceNow);
    tick().await;
    let status = find(&phone, "[role=status]");
    assert_eq!(status.text_content().unwrap(), "Phone offline · Connecting to ServiceNow…");
    state.host_status.set(HostStatus::Connected);
    tick().await;
    assert_eq!(status.text_content().unwrap(), "Phone offline · Connected to ServiceNow");
    state.host_status.set(HostStatus::Failed("openFrameAPI.init failed: Openframe init request timed out".into()));
    tick().await;
    assert!(
        status
            .text_content()
            .unwrap()
            .ends_with("Could not connect to ServiceNow: openFrameAPI.init failed: Openframe init request timed out")
    );
    phone.remove();
}

#[wasm_bindgen_test]
async fn error_screen_lists_every_problem() {
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    let lines = vec!["sip.servers[0]: bad".to_owned(), "hosts.allowedOrigins: empty".to_owned()];
    leptos::mount::mount_to(container.clone(), move || {
        view! { <ErrorScreen title="Problems".to_owned() lines=lines.clone() hint="Fix it" /> }
    })
    .forget();
    tick().await;
    let alert = find(&container, "[role=alert]");
    assert_eq!(find(&alert, "h1").text_content().unwrap(), "Problems");
    let items = alert.query_selector_all("li").unwrap();
    assert_eq!(items.length(), 2);
    assert_eq!(items.item(1).unwrap().text_content().unwrap(), "hosts.allowedOrigins: empty");
    container.remove();
}

#[wasm_bindgen_test]
async fn status_region_follows_the_registration() {
    let (state, phone) = mount_phone(HostKind::Standalone);
    tick().await;
    let status = find(&phone, "[role=status]");
    assert!(phone.query_selector("form.fp-signin").unwrap().is_some(), "the sign-in form shows when signed out");
    state.user.set(Some("1001".into()));
    state.session.set(Session::Registered);
    tick().await;
    assert_eq!(status.text_content().unwrap(), "Registered as 1001 · Pop-out window");
    assert!(phone.query_selector("form.fp-signin").unwrap().is_none());
    state.session.set(Session::Reconnecting { retry_in: 2_500 });
    tick().await;
    assert_eq!(status.text_content().unwrap(), "Reconnecting (next try in 3 s)… · Pop-out window");
    state.session.set(Session::Failed("the username or password is wrong".into()));
    tick().await;
    assert_eq!(status.text_content().unwrap(), "Offline: the username or password is wrong · Pop-out window");
    let alert = find(&phone, "form.fp-signin [role=alert]");
    assert_eq!(alert.text_content().unwrap(), "Sign-in failed: the username or password is wrong.");
    phone.remove();
}

#[wasm_bindgen_test]
async fn an_incoming_call_rings_in_an_alertdialog_then_becomes_the_active_call() {
    let (state, phone) = mount_phone(HostKind::Standalone);
    state.session.set(Session::Registered);
    let call = CallRef(7);
    state.calls.set(vec![CallView::new(
        call,
        true,
        framephone::display_name::Party::new(Some("Ana <b>Díaz</b>\u{202E}"), "1002"),
        "1002".into(),
        CallStage::Incoming,
        0.0,
    )]);
    tick().await;
    let dialog = find(&phone, "[role=alertdialog]");
    let title = document().get_element_by_id(&dialog.get_attribute("aria-labelledby").unwrap()).unwrap();
    assert_eq!(title.text_content().unwrap(), "Incoming call");
    assert!(dialog.text_content().unwrap().contains("Ana <b>Díaz</b> (1002)"), "the caller's name is text");
    let isolated: Vec<String> =
        (0..2).map(|i| dialog.query_selector_all("bdi").unwrap().item(i).unwrap().text_content().unwrap()).collect();
    assert_eq!(isolated, ["Ana <b>Díaz</b>", "1002"], "name and number each in a <bdi>, the override gone");
    button(&dialog, "Answer");
    button(&dialog, "Decline");
    state.calls.update(|calls| {
        let view = &mut calls[0];
        view.stage = CallStage::Active;
        view.answered_at = Some(1_000.0);
        view.audio.packets = (250, 248);
        view.levels = (40, 0);
    });
    state.clock.set(66_000.0);
    tick().await;
    assert!(phone.query_selector("[role=alertdialog]").unwrap().is_none());
    let region = find(&phone, "section.fp-call");
    let text = region.text_content().unwrap();
    assert!(text.contains("Connected") && text.contains("1:05"), "{text}");
    assert!(text.contains("Audio packets: 250 sent, 248 received"), "{text}");
    let meter =
        |name: &str| find(&region, &format!("[role=meter][aria-label='{name}']")).get_attribute("aria-valuenow");
    assert_eq!(
        (meter("Microphone level").as_deref(), meter("Incoming audio level").as_deref()),
        (Some("40"), Some("0"))
    );
    for name in ["Mute", "Hold", "Hang up"] {
        button(&region, name);
    }
    state.calls.update(|calls| {
        let view = &mut calls[0];
        view.muted = true;
        view.held = true;
    });
    tick().await;
    let text = region.text_content().unwrap();
    assert!(text.contains("On hold"), "{text}");
    assert_eq!(
        region.get_attribute("aria-label").as_deref(),
        Some("Call with \u{2068}Ana <b>Díaz</b>\u{2069} (\u{2068}1002\u{2069}), on hold"),
        "each call is named after its party and state"
    );
    assert_eq!(button(&region, "Unmute").get_attribute("aria-pressed").as_deref(), Some("true"));
    button(&region, "Resume");
    phone.remove();
}

/// A signed-in phone showing one answered call with `number`, and that call's region.
async fn mount_answered_call(call: CallRef, incoming: bool, number: &str) -> (PhoneState, HtmlElement, HtmlElement) {
    let (state, phone) = mount_phone(HostKind::Standalone);
    state.session.set(Session::Registered);
    let party = framephone::display_name::Party::new(None, number);
    let mut view = CallView::new(call, incoming, party, number.into(), CallStage::Active, 0.0);
    view.answered_at = Some(0.0);
    state.calls.set(vec![view]);
    tick().await;
    let region = find(&phone, "section.fp-call");
    (state, phone, region)
}

#[wasm_bindgen_test]
async fn the_call_quality_indicator_is_named_by_its_level_and_warns_when_poor() {
    use framephone::call_quality::{Estimate, Level, Tally};
    let (state, phone, region) = mount_answered_call(CallRef(3), false, "1004").await;
    let indicator = || find(&region, "[role=img][aria-label^='Call quality']").get_attribute("aria-label");
    assert_eq!(indicator().as_deref(), Some("Call quality: measuring"), "before the first reading");
    assert!(region.query_selector("[role=status]").unwrap().is_none(), "no warning before a reading");

    let reading = |level: Level, mos: f64| {
        let estimate = Estimate {
            delay_ms: 40.0,
            jitter_ms: 12.0,
            round_trip_ms: Some(80.0),
            loss_ratio: 0.12,
            concealment_ratio: 0.1,
            rating: 50.0,
            mos,
        };
        let tally = Tally { level: Some(level), latest: Some(mos), worst: Some(mos), sum: mos, count: 1 };
        move |calls: &mut Vec<CallView>| {
            calls[0].quality = Some(estimate);
            calls[0].quality_tally = tally;
        }
    };
    state.calls.update(reading(Level::Good, 4.31));
    tick().await;
    assert_eq!(indicator().as_deref(), Some("Call quality: good, 4.3"));
    assert!(region.query_selector("[role=status]").unwrap().is_none(), "no warning while good");

    state.calls.update(reading(Level::Poor, 2.04));
    tick().await;
    assert_eq!(indicator().as_deref(), Some("Call quality: poor, 2.0"));
    let warning = find(&region, "[role=status]").text_content().unwrap();
    assert!(warning.contains("Call quality is poor"), "{warning}");
    let details = region.text_content().unwrap();
    assert!(details.contains("Jitter 12 ms, packet loss 12.0 %, round trip 80 ms, MOS 2.04"), "{details}");
    phone.remove();
}

#[wasm_bindgen_test]
async fn reconnecting_audio_is_a_status_while_the_path_is_restored_and_the_restarts_are_in_the_details() {
    use framephone::ice_restart::LinkView;
    let (state, phone, region) = mount_answered_call(CallRef(4), true, "1005").await;
    let statuses = || {
        let found = region.query_selector_all("[role=status]").unwrap();
        (0..found.length()).filter_map(|i| found.item(i)?.text_content()).collect::<Vec<_>>()
    };
    assert!(statuses().is_empty(), "nothing to say while the audio flows");
    assert!(!region.text_content().unwrap().contains("ICE restarts"), "no restart yet");

    let link = |link: LinkView| move |calls: &mut Vec<CallView>| calls[0].link = link;
    state.calls.update(link(LinkView { reconnecting: true, lost: false, restarts: 1 }));
    tick().await;
    assert_eq!(statuses(), ["Reconnecting audio…"]);
    assert!(region.query_selector("[role=alert]").unwrap().is_none());

    state.calls.update(link(LinkView { reconnecting: false, lost: false, restarts: 1 }));
    tick().await;
    assert!(statuses().is_empty(), "cleared once the audio is back");
    let details = find(&region, "details").text_content().unwrap();
    assert!(details.contains("Audio reconnected (ICE restarts): 1"), "{details}");

    state.calls.update(link(LinkView { reconnecting: false, lost: true, restarts: 3 }));
    tick().await;
    let alert = find(&region, "[role=alert]").text_content().unwrap();
    assert!(alert.starts_with("No audio: the connection to the other party was lost."), "{alert}");
    phone.remove();
}

fn dispatch(target: &web_sys::EventTarget, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    target.dispatch_event(&web_sys::Event::new_with_event_init_dict(kind, &init).unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn a_snapshot_alone_renders_the_phone_and_its_clicks_send_commands() {
    use framephone::agent_state::AgentState;
    use framephone::display_name::Party;
    use framephone::history::{CallRecord, Outcome};
    use framephone::model::PhoneSnapshot;

    let (state, phone, sent) = mount_phone_recording(HostKind::Standalone);
    let mut talking = CallView::new(CallRef(3), false, Party::new(None, "1003"), "1003".into(), CallStage::Active, 0.0);
    talking.answered_at = Some(0.0);
    let ringing =
        CallView::new(CallRef(4), true, Party::new(Some("Ana"), "1002"), "1002".into(), CallStage::Incoming, 0.0);
    let record = CallRecord {
        id: "a84b4c76e66710@pc33".into(),
        incoming: true,
        party: "Bo (1005)".into(),
        number: "1005".into(),
        started: 0,
        seconds: 0,
        outcome: Outcome::Missed,
        worst_mos: None,
        average_mos: None,
        record_name: None,
        number_as_written: None,
    };
    let model = PhoneSnapshot {
        session: Session::Registered,
        user: Some("1001".into()),
        agent_state: AgentState::Ready,
        calls: vec![talking, ringing],
        history: vec![record],
        ..PhoneSnapshot::default()
    };
    // As another window would receive it.
    let model: PhoneSnapshot = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
    state.show(model);
    tick().await;
    assert_eq!(find(&phone, "[role=status]").text_content().unwrap(), "Registered as 1001 · Pop-out window");
    let taken = || std::mem::take(&mut *sent.borrow_mut());

    let dialog = find(&phone, "[role=alertdialog]");
    button(&dialog, "Answer").click();
    button(&dialog, "Decline").click();
    let region = find(&phone, "section.fp-call");
    for name in ["Mute", "Hold", "Hang up"] {
        button(&region, name).click();
    }
    assert_eq!(
        taken(),
        [
            Command::Answer(CallRef(4)),
            Command::Decline(CallRef(4)),
            Command::ToggleMute(CallRef(3)),
            Command::ToggleHold(CallRef(3)),
            Command::HangUp(CallRef(3)),
        ]
    );

    for digit in ["1", "0", "0", "2"] {
        button(&phone, digit).click();
    }
    tick().await;
    button(&phone, "Call").click();
    let status: web_sys::HtmlSelectElement = find(&phone, "select[aria-label=Status]").unchecked_into();
    status.set_value("not-ready:0");
    dispatch(&status, "change");
    button(&phone, "Call back").click();
    button(&phone, "Sign out").click();
    assert_eq!(
        taken(),
        [
            Command::Dial("1002".into()),
            Command::SetAgentState(AgentState::NotReady("Break".into())),
            Command::Dial("1005".into()),
            Command::SignOut,
        ]
    );

    // Nothing sent while the phone is down: the snapshot says so, the view follows.
    state.show(PhoneSnapshot::session_only(
        Session::Failed("the username or password is wrong".into()),
        Some("1001".into()),
    ));
    tick().await;
    assert!(phone.query_selector("select[aria-label=Status]").unwrap().is_none());
    let username: HtmlInputElement = find(&phone, "input#fp-username").unchecked_into();
    assert_eq!(username.value(), "1001", "the username is kept after a refused sign-in");
    let password: HtmlInputElement = find(&phone, "input#fp-password").unchecked_into();
    password.set_value("lab-1001-pw");
    dispatch(&password, "input");
    // Typing says a sign-in is coming (the phone connects meanwhile), once for a while.
    dispatch(&password, "input");
    assert_eq!(taken(), [Command::PrepareSignIn], "told once while the agent types");
    button(&phone, "Sign in").click();
    match taken().as_slice() {
        [Command::SignIn { username, password, remember: false }] => {
            assert_eq!((username.as_str(), password.0.as_str()), ("1001", "lab-1001-pw"));
            assert_eq!(format!("{password:?}"), "Password(…)", "never printed");
            let sent = serde_json::to_string(&Command::SignIn {
                username: username.clone(),
                password: password.clone(),
                remember: false,
            })
            .unwrap();
            assert!(!sent.contains("lab-1001-pw"), "never serialized: {sent}");
        }
        other => panic!("expected one sign-in, got {other:?}"),
    }
    phone.remove();
}

/// The PKCE challenge WebCrypto computes is RFC 7636's (appendix B).
#[wasm_bindgen_test]
async fn the_pkce_challenge_is_rfc_7636s_example() {
    let challenge = framephone::host::s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").await.unwrap();
    assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

#[wasm_bindgen_test]
async fn wrap_up_sends_the_disposition_and_notes_as_entered_and_done() {
    use framephone::model::{PhoneSnapshot, WrapUp};

    let crm = r#", "crm": {"dispositions": ["Resolved", "Call back"], "dispositionRequired": true}"#;
    let (state, phone, sent) = mount_phone_configured(HostKind::ServiceNow, crm);
    let wrap_up = WrapUp { call_id: "w1@pc33".into(), party: "Ana Díaz (+15550100101)".into(), ..WrapUp::default() };
    state.show(PhoneSnapshot {
        session: Session::Registered,
        wrap_ups: vec![wrap_up.clone()],
        ..PhoneSnapshot::default()
    });
    tick().await;
    let region = find(&phone, "section.fp-wrap-up[role=region]");
    let title = find(&phone, &format!("#{}", region.get_attribute("aria-labelledby").unwrap()));
    assert_eq!(title.text_content().unwrap(), "Wrap-up: Ana Díaz (+15550100101)");
    let select: web_sys::HtmlSelectElement = find(&region, "select").unchecked_into();
    assert!(select.required(), "a required disposition is marked so");
    select.set_value("0");
    dispatch(&select, "change");
    let notes: web_sys::HtmlTextAreaElement = find(&region, "textarea").unchecked_into();
    notes.set_value("Refund sent");
    dispatch(&notes, "input");
    button(&region, "Done").click();
    let edit = |notes: &str| Command::EditWrapUp {
        call_id: "w1@pc33".into(),
        disposition: Some("Resolved".into()),
        notes: notes.into(),
    };
    assert_eq!(*sent.borrow(), [edit(""), edit("Refund sent"), Command::FinishWrapUp("w1@pc33".into())]);

    // The desk refused Done: its reason shows as an alert in the form.
    let refused = WrapUp { problem: Some("Choose a disposition before Done.".into()), ..wrap_up };
    state.show(PhoneSnapshot { session: Session::Registered, wrap_ups: vec![refused], ..PhoneSnapshot::default() });
    tick().await;
    assert_eq!(find(&phone, ".fp-wrap-up [role=alert]").text_content().unwrap(), "Choose a disposition before Done.");
}

#[wasm_bindgen_test]
async fn the_activity_list_shows_waiting_and_failed_logs_with_retry_and_re_authorise() {
    use framephone::activity::outbox::{ActivityView, Hold};

    let (state, phone, sent) = mount_phone_recording(HostKind::ServiceNow);
    assert!(phone.query_selector("[aria-label=Activity]").unwrap().is_none(), "nothing waits, nothing shows");
    let failed = ("k1@pc33".to_owned(), "Inbound call from Ana".to_owned(), "The CORS rules refuse".to_owned());
    state.activity.set(ActivityView {
        waiting: 2,
        failed: vec![failed],
        hold: Some(Hold::Unauthorised),
        store_problem: None,
    });
    tick().await;
    let activity = find(&phone, "[role=region][aria-label=Activity]");
    assert_eq!(find(&activity, "[role=status]").text_content().unwrap(), "2 call logs waiting for ServiceNow");
    assert!(find(&activity, "[role=alert]").text_content().unwrap().contains("ServiceNow needs your permission"));
    assert!(find(&activity, "li").text_content().unwrap().contains("The CORS rules refuse"));
    button(&activity, "Authorise").click();
    button(&activity, "Retry: Inbound call from Ana").click();
    assert_eq!(*sent.borrow(), [Command::AuthoriseCrm, Command::RetryLog("k1@pc33".into())]);
}

#[wasm_bindgen_test]
async fn several_matching_records_ask_which_is_the_caller() {
    use framephone::activity::RecordRef;
    use framephone::display_name::Party;
    use framephone::model::PhoneSnapshot;

    let (state, phone, sent) = mount_phone_recording(HostKind::ServiceNow);
    let mut call = CallView::new(
        CallRef(5),
        true,
        Party::new(None, "+15550100177"),
        "+15550100177".into(),
        CallStage::Active,
        0.0,
    );
    let boxeo =
        RecordRef { object: "customer_account".into(), id: "b1".into(), name: "Boxeo Corp".into(), phone: None };
    let ana = RecordRef { object: "customer_contact".into(), id: "a1".into(), name: "Ana Díaz".into(), phone: None };
    call.record_choices = vec![ana, boxeo.clone()];
    state.show(PhoneSnapshot { session: Session::Registered, calls: vec![call], ..PhoneSnapshot::default() });
    tick().await;
    let group = find(&phone, "[role=group][aria-label='Which record is the caller?']");
    button(&group, "Open Boxeo Corp (customer_account)").click();
    assert_eq!(*sent.borrow(), [Command::PickRecord(CallRef(5), boxeo)]);
}

#[wasm_bindgen_test]
async fn missed_calls_are_marked_and_counted_on_the_history_tab_until_seen() {
    use framephone::history::{CallRecord, Outcome};
    let (state, phone) = mount_phone(HostKind::Standalone);
    let record = |id: &str, outcome: Outcome, record_name: Option<&str>| CallRecord {
        id: id.into(),
        incoming: true,
        party: "Bo (1005)".into(),
        number: "1005".into(),
        started: js_sys::Date::now() as u64 + 1,
        seconds: 0,
        outcome,
        worst_mos: None,
        average_mos: None,
        record_name: record_name.map(str::to_owned),
        number_as_written: None,
    };
    let bare = CallRecord {
        party: "4155550131".into(),
        number: "4155550131".into(),
        number_as_written: Some("+1 (415) 555-0131".into()),
        ..record("d", Outcome::Answered, Some("Lena Park"))
    };
    state.history.set(vec![
        bare,
        record("a", Outcome::Missed, Some("Lena <i>Park</i>")),
        record("b", Outcome::Answered, None),
        record("c", Outcome::Missed, None),
    ]);
    tick().await;
    let tab = find(&phone, "#fp-tab-history");
    assert_eq!(tab.get_attribute("aria-describedby").as_deref(), Some("fp-missed-calls"));
    assert_eq!(find(&phone, "#fp-missed-calls").text_content().as_deref(), Some("2 missed calls"));
    assert_eq!(find(&tab, ".fp-tabs__count").text_content().as_deref(), Some("2"));
    let missed = phone.query_selector_all(".fp-history__entry--missed").unwrap().length();
    assert_eq!(missed, 2, "each missed call is marked");
    let first = find(&phone, ".fp-history__entry").text_content().unwrap();
    assert!(first.contains("+1 (415) 555-0131 · Lena Park · "), "the number as the CRM writes it: {first}");
    let second = phone.query_selector_all(".fp-history__entry").unwrap().item(1).unwrap().text_content().unwrap();
    assert!(second.contains("Bo (1005) · Lena <i>Park</i> · "), "the record's name, as text: {second}");
    tab.click();
    tick().await;
    assert_eq!(find(&phone, "#fp-missed-calls").text_content().as_deref(), Some(""), "seen");
    assert!(tab.query_selector(".fp-tabs__count").unwrap().is_none(), "no count left");
    phone.remove();
}

#[wasm_bindgen_test]
async fn messages_show_as_text_with_unread_counts_read_when_opened_and_send_commands() {
    use framephone::conversations::{Conversation, Delivery, TextMessage};
    let (state, phone, sent) = mount_phone_recording(HostKind::Standalone);
    state.session.set(Session::Registered);
    let message = |incoming: bool, text: &str, delivery: Delivery| TextMessage {
        id: 3,
        incoming,
        text: text.into(),
        at: js_sys::Date::now() as u64,
        delivery,
    };
    state.conversations.set(vec![
        Conversation {
            number: "1002".into(),
            name: Some("Ana <b>Díaz</b>".into()),
            messages: vec![
                message(true, "<img src=x onerror=alert(1)>\nsecond line", Delivery::Delivered),
                message(false, "hello", Delivery::Failed("Not delivered: no such number (404 Not Found).".into())),
            ],
            unread: 2,
        },
        Conversation {
            number: "1003".into(),
            name: None,
            messages: vec![message(true, "hi", Delivery::Delivered)],
            unread: 1,
        },
    ]);
    tick().await;
    let tab = find(&phone, "#fp-tab-messages");
    assert_eq!(tab.get_attribute("aria-describedby").as_deref(), Some("fp-unread-messages"));
    assert_eq!(find(&phone, "#fp-unread-messages").text_content().as_deref(), Some("3 unread messages"));
    assert_eq!(find(&tab, ".fp-tabs__count").text_content().as_deref(), Some("3"));
    tab.click();
    tick().await;
    let entries = phone.query_selector_all(".fp-conversations__open").unwrap();
    assert_eq!(entries.length(), 2);
    let first = find(&phone, ".fp-conversations__open");
    let text = first.text_content().unwrap();
    assert!(text.starts_with("Ana <b>Díaz</b> (1002)2 new"), "{text}");
    assert!(sent.borrow().is_empty(), "the list alone reads nothing");
    first.click();
    tick().await;
    assert_eq!(*sent.borrow(), [Command::ReadConversation("1002".into())], "opening it reads it");
    let log = find(&phone, "[role=log]");
    assert_eq!(log.get_attribute("aria-label").as_deref(), Some("Messages with Ana <b>Díaz</b> (1002)"));
    assert!(phone.query_selector("img").unwrap().is_none(), "a message must never become markup");
    let theirs = find(&phone, ".fp-bubble__text");
    assert_eq!(theirs.text_content().as_deref(), Some("<img src=x onerror=alert(1)>\nsecond line"));
    assert_eq!(theirs.get_attribute("dir").as_deref(), Some("auto"));
    assert!(find(&phone, ".fp-bubble--failed").text_content().unwrap().contains("no such number"));
    sent.borrow_mut().clear();
    button(&phone, "Send again").click();
    tick().await;
    assert_eq!(*sent.borrow(), [Command::SendMessage { to: "1002".into(), text: "hello".into() }]);
    sent.borrow_mut().clear();
    let text_box: web_sys::HtmlTextAreaElement = find(&phone, "textarea").unchecked_into();
    assert_eq!(text_box.get_attribute("aria-label").as_deref(), Some("Message to Ana <b>Díaz</b> (1002)"));
    text_box.set_value("On it");
    text_box.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    tick().await;
    key(&text_box.clone().into(), "Enter", false);
    tick().await;
    assert_eq!(*sent.borrow(), [Command::SendMessage { to: "1002".into(), text: "On it".into() }]);
    assert_eq!(text_box.value(), "", "the box empties for the next message");
    button(&phone, "All conversations").click();
    tick().await;
    assert!(phone.query_selector("[role=log]").unwrap().is_none());
    phone.remove();
}

#[wasm_bindgen_test]
async fn missed_calls_are_counted_from_when_the_agent_last_looked_in_an_earlier_page() {
    use framephone::history::{CallRecord, Outcome, load_seen, save_seen};
    let user = "web-seen-1";
    let looked = js_sys::Date::now() - 60_000.0;
    save_seen(user, looked);
    let (state, phone) = mount_phone(HostKind::Standalone);
    let missed = |id: &str, started: f64| CallRecord {
        id: id.into(),
        incoming: true,
        party: "Bo (1005)".into(),
        number: "1005".into(),
        started: started as u64,
        seconds: 0,
        outcome: Outcome::Missed,
        worst_mos: None,
        average_mos: None,
        record_name: None,
        number_as_written: None,
    };
    // One missed before the agent last looked (in the earlier page), one after.
    state.history.set(vec![missed("after", looked + 30_000.0), missed("before", looked - 30_000.0)]);
    state.user.set(Some(user.into()));
    tick().await;
    assert_eq!(find(&phone, "#fp-missed-calls").text_content().as_deref(), Some("1 missed call"));
    find(&phone, "#fp-tab-history").click();
    tick().await;
    assert!(load_seen(user).is_some_and(|seen| seen > looked), "looking is kept for the next page");
    let fresh = "web-seen-2";
    state.user.set(Some(fresh.into()));
    tick().await;
    assert!(load_seen(fresh).is_some(), "a first sign-in counts from now");
    phone.remove();
}

#[wasm_bindgen_test]
async fn a_state_change_the_agent_did_not_make_is_announced() {
    use framephone::agent_state::AgentState;
    let (state, phone) = mount_phone(HostKind::Standalone);
    state.session.set(Session::Registered);
    tick().await;
    let told = || find(&phone, ".fp-header [aria-live=polite]").text_content().unwrap_or_default();
    assert_eq!(told(), "", "nothing to tell at first");
    // The Status control took the focus once registered; the agent works elsewhere now.
    find(&phone, "select.fp-agent-status").blur().unwrap();
    state.agent_state.set(AgentState::AfterCallWork { until: js_sys::Date::now() + 30_000.0 });
    tick().await;
    assert!(told().starts_with("Status: After Call Work"), "{}", told());
    state.agent_state.set(AgentState::Ready);
    tick().await;
    assert_eq!(told(), "Status: Ready");
    // A change made in the control is told by the control.
    find(&phone, "select.fp-agent-status").focus().unwrap();
    state.agent_state.set(AgentState::NotReady("Break".into()));
    tick().await;
    assert_eq!(told(), "Status: Ready", "not told twice");
    phone.remove();
}

#[wasm_bindgen_test]
async fn a_directory_number_as_written_opens_the_conversation_its_messages_land_in() {
    use framephone::conversations::{Conversation, Delivery, TextMessage};
    let directory = r#", "directory": [{"name": "Sam Reyes", "number": "+1 (555) 010-1011"}]"#;
    let (state, phone, sent) = mount_phone_configured(HostKind::Standalone, directory);
    state.session.set(Session::Registered);
    // The desk keeps Sam's messages under the keys dialled.
    let message = TextMessage { id: 1, incoming: true, text: "hi".into(), at: 1, delivery: Delivery::Delivered };
    let sam = Conversation { number: "+15550101011".into(), name: None, messages: vec![message], unread: 0 };
    state.conversations.set(vec![sam]);
    state.tab.set(Tab::Directory);
    tick().await;
    button(&phone, "Message Sam Reyes").click();
    tick().await;
    assert_eq!(state.conversation.get_untracked().as_deref(), Some("+15550101011"));
    let log = find(&phone, "[role=log]");
    assert_eq!(log.get_attribute("aria-label").as_deref(), Some("Messages with Sam Reyes (+15550101011)"));
    assert!(log.text_content().unwrap_or_default().contains("hi"), "its messages show");
    assert!(sent.borrow().is_empty());
    phone.remove();
}

#[wasm_bindgen_test]
async fn a_language_whose_catalog_cannot_be_downloaded_leaves_the_phone_in_english() {
    // The test page's server has no `locales/ja-….txt`: the download gets a 404.
    framephone::app::language::speak(Some(framephone::i18n::Language::Japanese)).await;
    assert_eq!(framephone::i18n::language(), framephone::i18n::Language::English);
    assert_eq!(document().document_element().unwrap().get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(framephone::i18n::t("tab.history"), "History");
}

#[wasm_bindgen_test]
async fn the_directory_search_ignores_case_beyond_ascii() {
    let directory =
        r#", "directory": [{"name": "Ana Díaz", "number": "1002"}, {"name": "Émile Roux", "number": "1003"}]"#;
    let (state, phone, _) = mount_phone_configured(HostKind::Standalone, directory);
    state.tab.set(Tab::Directory);
    tick().await;
    let search: HtmlInputElement = find(&phone, "#fp-directory-search").unchecked_into();
    let shown = |wanted: &str| {
        search.set_value(wanted);
        search.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
        async {
            tick().await;
            find(&phone, ".fp-directory__list").text_content().unwrap_or_default()
        }
    };
    let list = shown("DÍAZ").await;
    assert!(list.contains("Ana Díaz") && !list.contains("Émile"), "{list}");
    let list = shown("émile").await;
    assert!(list.contains("Émile Roux") && !list.contains("Ana"), "{list}");
    let list = shown("100").await;
    assert!(list.contains("Ana Díaz") && list.contains("Émile Roux"), "{list}");
    phone.remove();
}

#[wasm_bindgen_test]
async fn a_keyed_lists_items_hang_from_no_owner_see_the_phone_state_and_are_cleaned_up_when_they_go() {
    let (state, _, _) = mount_phone_configured(HostKind::Standalone, "");
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    let items = RwSignal::new(vec![1u32, 2, 3]);
    // (item, whether its owner has a parent, whether it sees the phone's state)
    let made = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u32, bool, bool)>::new()));
    let cleaned = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u32>::new()));
    let handle = {
        let (made, cleaned) = (made.clone(), cleaned.clone());
        leptos::mount::mount_to(container.clone(), move || {
            provide_context(state);
            let (made, cleaned) = (made.clone(), cleaned.clone());
            view! {
                <ul>
                    <KeyedList each=move || items.get() key=|n| *n let:n>
                        {
                            let parent = Owner::current().and_then(|owner| owner.parent()).is_some();
                            made.lock().unwrap().push((n, parent, use_context::<PhoneState>().is_some()));
                            let cleaned = cleaned.clone();
                            on_cleanup(move || cleaned.lock().unwrap().push(n));
                            view! { <li>{n}</li> }
                        }
                    </KeyedList>
                </ul>
            }
        })
    };
    tick().await;
    assert_eq!(container.text_content().unwrap_or_default(), "123");
    assert_eq!(*made.lock().unwrap(), vec![(1, false, true), (2, false, true), (3, false, true)]);
    items.set(vec![2, 3, 4]);
    tick().await;
    assert_eq!(container.text_content().unwrap_or_default(), "234");
    assert_eq!(*cleaned.lock().unwrap(), vec![1], "only the item that went is cleaned up");
    assert_eq!(made.lock().unwrap().len(), 4, "the items that stay are not made again");
    drop(handle);
    tick().await;
    let mut cleaned = cleaned.lock().unwrap().clone();
    cleaned.sort_unstable();
    assert_eq!(cleaned, vec![1, 2, 3, 4], "the list's going cleans up every item");
    container.remove();
}

/// The sign-in form stays, its button disabled, while the sign-in typed in it waits for the
/// server; the controls come with the answer. A second press meanwhile is the same press. A
/// phone found signing in that was not typed here (a reload's) shows its controls at once.
#[wasm_bindgen_test]
async fn a_typed_sign_in_keeps_the_form_busy_until_the_server_answers() {
    use framephone::model::PhoneSnapshot;

    let (state, phone, sent) = mount_phone_recording(HostKind::Standalone);
    let taken = || std::mem::take(&mut *sent.borrow_mut());
    let username: HtmlInputElement = find(&phone, "input#fp-username").unchecked_into();
    username.set_value("1001");
    dispatch(&username, "input");
    let password: HtmlInputElement = find(&phone, "input#fp-password").unchecked_into();
    password.set_value("lab-1001-pw");
    dispatch(&password, "input");
    button(&phone, "Sign in").click();
    button(&phone, "Sign in").click();
    let signed_in = taken().into_iter().filter(|c| matches!(c, Command::SignIn { .. })).count();
    assert_eq!(signed_in, 1, "the second press is the same press");

    state.show(PhoneSnapshot::session_only(Session::SigningIn, Some("1001".into())));
    tick().await;
    let busy: web_sys::HtmlButtonElement = button(&phone, "Sign in").unchecked_into();
    assert!(busy.disabled(), "the form waits for the server, its button disabled");
    assert_eq!(busy.get_attribute("aria-busy").as_deref(), Some("true"));
    assert!(phone.query_selector("select[aria-label=Status]").unwrap().is_none(), "no controls yet");

    state.show(PhoneSnapshot::session_only(Session::Registered, Some("1001".into())));
    tick().await;
    assert!(phone.query_selector("form.fp-signin").unwrap().is_none(), "the form gives way");
    assert!(phone.query_selector("select[aria-label=Status]").unwrap().is_some(), "the controls come");
    button(&phone, "Sign out");
    phone.remove();

    // A phone found signing in (a reload resuming its sign-in): the controls at once.
    let (state, phone, _) = mount_phone_recording(HostKind::Standalone);
    state.show(PhoneSnapshot::session_only(Session::SigningIn, Some("1001".into())));
    tick().await;
    assert!(phone.query_selector("form.fp-signin").unwrap().is_none(), "no form for a sign-in not typed here");
    button(&phone, "Sign out");
    phone.remove();
}
