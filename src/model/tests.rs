use sip::agent::CallRef;

use super::*;
use crate::display_name::{Party, isolate};

fn call(id: u32, stage: CallStage, held: bool) -> CallView {
    let mut view = CallView::new(
        CallRef(id),
        stage == CallStage::Incoming,
        Party::new(Some("Ana"), "1002"),
        "1002".into(),
        stage,
        0.0,
    );
    view.held = held;
    view
}

#[test]
fn the_current_call_is_the_one_talked_on_and_the_ringing_one_is_the_oldest() {
    let mut model = PhoneSnapshot::default();
    assert_eq!((model.current(), model.ringing(), model.label(0.0)), (None, None, None));
    model.calls =
        vec![call(1, CallStage::Active, false), call(2, CallStage::Active, true), call(3, CallStage::Incoming, false)];
    assert_eq!(model.current().map(|c| c.id), Some(CallRef(1)), "the held newer call is not the current one");
    assert_eq!(model.ringing().map(|c| c.id), Some(CallRef(3)));
    model.calls[0].held = true;
    assert_eq!(model.current().map(|c| c.id), Some(CallRef(2)), "all held: the newest");
    assert_eq!(model.alert(), Some(Alert::CallWaiting));
}

#[test]
fn the_host_label_names_who_rings_or_times_the_call() {
    let mut model = PhoneSnapshot { calls: vec![call(1, CallStage::Incoming, false)], ..PhoneSnapshot::default() };
    let ana = format!("{} ({})", isolate("Ana"), isolate("1002"));
    assert_eq!(model.label(0.0), Some(format!("Ringing: {ana}")));
    model.calls[0].stage = CallStage::Active;
    model.calls[0].answered_at = Some(1_000.0);
    assert_eq!(model.label(66_000.0).as_deref(), Some("On call 1:05"));
    model.calls[0].held = true;
    assert_eq!(model.label(66_000.0).as_deref(), Some("On hold 1:05"));
    model.calls[0].stage = CallStage::Dialing;
    assert_eq!(model.label(0.0), Some(format!("Calling {ana}")));
}

#[test]
fn the_session_says_whether_a_phone_runs_and_what_the_status_line_reads() {
    assert!(!Session::SignedOut.phone_runs() && !Session::Failed("x".into()).phone_runs());
    assert!(Session::SigningIn.phone_runs() && Session::Offline("x".into()).phone_runs());
    let model = PhoneSnapshot { session: Session::Registered, user: Some("1001".into()), ..PhoneSnapshot::default() };
    assert_eq!(model.status_text(), "Registered as 1001");
    assert_eq!(Session::Reconnecting { retry_in: 2_500 }.text(None), "Reconnecting (next try in 3 s)…");
    assert_eq!(
        Session::Failed("the username or password is wrong".into()).text(None),
        "Offline: the username or password is wrong"
    );
}
