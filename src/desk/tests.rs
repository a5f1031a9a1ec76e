use sip::agent::{CallEnd, CallRef, RejectKind};
use sip::body::PresenceState;

use super::*;
use crate::config::RingWhenNotReady;

const NOW: f64 = 1_800_000_000_000.0;

fn desk(ring: RingWhenNotReady, after_call_work_seconds: u32) -> Desk {
    desk_with(ring, after_call_work_seconds, CrmSettings::default())
}

fn desk_with(ring: RingWhenNotReady, after_call_work_seconds: u32, crm: CrmSettings) -> Desk {
    let rules = AgentSettings {
        not_ready_status: 480,
        after_call_work_seconds,
        ring_when_not_ready: ring,
        ..AgentSettings::default()
    };
    let directory = [Contact { name: "Sam (supervisor)".into(), number: "+1 (555) 010-1011".into() }];
    let mut desk = Desk::new(rules, crm, &directory, "1001".into(), Vec::new(), Vec::new());
    desk.on_event(NOW, DeskEvent::Session(Session::Registered));
    desk
}

fn offered(call: u32, number: &str, referred_by: Option<&str>) -> DeskEvent {
    DeskEvent::Offered {
        call: CallRef(call),
        call_id: format!("call-{call}@test"),
        party: Party::new(None, number),
        number: number.into(),
        auto_answer: false,
        referred_by: referred_by.map(str::to_owned),
    }
}

fn records(actions: &[DeskAction]) -> Vec<(String, Outcome)> {
    actions
        .iter()
        .filter_map(|a| match a {
            DeskAction::Record(record) => Some((record.id.clone(), record.outcome)),
            _ => None,
        })
        .collect()
}

const COLLEAGUES: RingWhenNotReady = RingWhenNotReady { colleagues: true, transfers: false };
const NOBODY: RingWhenNotReady = RingWhenNotReady { colleagues: false, transfers: false };

#[test]
fn not_ready_turns_a_call_away_with_the_configured_status_and_records_it_once() {
    let mut desk = desk(NOBODY, 0);
    desk.on_event(NOW, DeskEvent::StateChosen(AgentState::NotReady("Break".into())));
    let actions = desk.on_event(NOW + 5.0, offered(1, "1002", None));
    assert_eq!(actions[0], DeskAction::Reject { call: CallRef(1), status: 480 });
    assert_eq!(records(&actions), [("call-1@test".to_owned(), Outcome::NotReady)]);
    assert!(
        actions.iter().any(|a| matches!(a, DeskAction::Tell(AppEvent::Ended(r)) if r.outcome == Outcome::NotReady))
    );
    assert!(!actions.iter().any(|a| matches!(a, DeskAction::Tell(AppEvent::Ringing { .. }))), "it never rang");
    assert!(desk.model().calls.is_empty());
    // The core's later Ended for the refused call finds nothing to record again.
    let again = desk.on_event(NOW + 10.0, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpHere });
    assert!(records(&again).is_empty());
    assert_eq!(desk.model().history.len(), 1);
}

#[test]
fn a_colleague_reaches_an_agent_on_a_break_but_a_stranger_does_not() {
    let mut desk = desk(COLLEAGUES, 30);
    desk.on_event(NOW, DeskEvent::StateChosen(AgentState::NotReady("Break".into())));
    // The directory lists "+1 (555) 010-1011"; the caller's number is compared normalised.
    let actions = desk.on_event(NOW, offered(1, "+15550101011", None));
    assert!(matches!(&actions[..], [DeskAction::Tell(AppEvent::Ringing { call: CallRef(1), .. }), ..]), "{actions:?}");
    let stranger = desk.on_event(NOW, offered(2, "+15550109999", None));
    assert_eq!(stranger[0], DeskAction::Reject { call: CallRef(2), status: 480 });
    // A colleague transferring a customer is not a colleague calling, unless configured.
    let transferred = desk.on_event(NOW, offered(3, "+15550109999", Some("+15550101011")));
    assert_eq!(transferred[0], DeskAction::Reject { call: CallRef(3), status: 480 });
    // After Call Work and a dead microphone let nobody through.
    desk.on_event(NOW, DeskEvent::StateChosen(AgentState::AfterCallWork { until: NOW + 30_000.0 }));
    assert_eq!(
        desk.on_event(NOW, offered(4, "+15550101011", None))[0],
        DeskAction::Reject { call: CallRef(4), status: 480 }
    );
    desk.on_event(NOW, DeskEvent::MicrophoneFailed("Microphone access was denied.".into()));
    assert_eq!(desk.model().agent_state, AgentState::NotReady(NO_MICROPHONE.into()));
    assert_eq!(
        desk.on_event(NOW, offered(5, "+15550101011", None))[0],
        DeskAction::Reject { call: CallRef(5), status: 480 }
    );
}

#[test]
fn transfers_from_a_colleague_ring_when_configured() {
    let mut desk = desk(RingWhenNotReady { colleagues: false, transfers: true }, 0);
    desk.on_event(NOW, DeskEvent::StateChosen(AgentState::NotReady("Coaching".into())));
    let transferred = desk.on_event(NOW, offered(1, "+15550109999", Some("+1 555 010 1011")));
    assert!(matches!(&transferred[..], [DeskAction::Tell(AppEvent::Ringing { .. }), ..]), "{transferred:?}");
    let colleague = desk.on_event(NOW, offered(2, "+15550101011", None));
    assert_eq!(colleague[0], DeskAction::Reject { call: CallRef(2), status: 480 });
    let by_stranger = desk.on_event(NOW, offered(3, "+15550109999", Some("+15550108888")));
    assert_eq!(by_stranger[0], DeskAction::Reject { call: CallRef(3), status: 480 });
}

#[test]
fn nothing_is_offered_while_not_registered_and_a_transfer_completion_is_always_taken() {
    let mut desk = desk(COLLEAGUES, 0);
    desk.on_event(NOW, DeskEvent::Session(Session::Reconnecting { retry_in: 2_000 }));
    assert_eq!(desk.on_event(NOW, offered(1, "1002", None))[0], DeskAction::Reject { call: CallRef(1), status: 480 });
    desk.on_event(NOW, DeskEvent::Session(Session::Registered));
    desk.on_event(NOW, DeskEvent::StateChosen(AgentState::NotReady("Break".into())));
    let completion = DeskEvent::Offered {
        call: CallRef(2),
        call_id: "x".into(),
        party: Party::new(None, "1003"),
        number: "1003".into(),
        auto_answer: true,
        referred_by: None,
    };
    let actions = desk.on_event(NOW, completion);
    assert!(
        !actions.iter().any(|a| matches!(a, DeskAction::Reject { .. } | DeskAction::Tell(AppEvent::Ringing { .. })))
    );
    assert_eq!(desk.model().calls.len(), 1);
}

#[test]
fn answering_a_waiting_call_holds_the_one_in_progress() {
    let mut desk = desk(COLLEAGUES, 0);
    desk.on_event(NOW, offered(1, "1002", None));
    desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    assert_eq!(desk.model().call(CallRef(1)).unwrap().stage, CallStage::Connecting);
    desk.on_event(NOW, DeskEvent::Established(CallRef(1)));
    desk.on_event(NOW, offered(2, "1003", None));
    assert_eq!(desk.model().ringing().map(|c| c.id), Some(CallRef(2)));
    assert_eq!(desk.model().current().map(|c| c.id), Some(CallRef(1)));
    let actions = desk.on_event(NOW, DeskEvent::Answering(CallRef(2)));
    assert_eq!(actions, [DeskAction::Hold(CallRef(1))]);
    desk.on_event(NOW, DeskEvent::Held { call: CallRef(1), held: true });
    desk.on_event(NOW, DeskEvent::Established(CallRef(2)));
    assert_eq!(desk.model().current().map(|c| c.id), Some(CallRef(2)), "the call talked on, not the held one");
    // A held call is not held again when a third is answered.
    desk.on_event(NOW, DeskEvent::Held { call: CallRef(2), held: true });
    desk.on_event(NOW, offered(3, "1004", None));
    assert!(desk.on_event(NOW, DeskEvent::Answering(CallRef(3))).is_empty());
}

#[test]
fn after_call_work_follows_an_answered_call_and_ends_by_itself() {
    let mut desk = desk(COLLEAGUES, 30);
    desk.on_event(NOW, offered(1, "1002", None));
    desk.on_event(NOW + 1_000.0, DeskEvent::Answering(CallRef(1)));
    desk.on_event(NOW + 2_000.0, DeskEvent::Established(CallRef(1)));
    let ended = desk.on_event(NOW + 67_000.0, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpThere });
    let record = ended.iter().find_map(|a| match a {
        DeskAction::Record(record) => Some(record.clone()),
        _ => None,
    });
    let record = record.expect("a record");
    assert_eq!((record.outcome, record.seconds, record.id.as_str()), (Outcome::Answered, 65, "call-1@test"));
    assert_eq!(desk.model().agent_state, AgentState::AfterCallWork { until: NOW + 97_000.0 });
    assert!(ended.contains(&DeskAction::Publish(PresenceState::Away, "After Call Work".into())));
    assert!(desk.on_event(NOW + 96_999.0, DeskEvent::Tick).is_empty());
    let ready = desk.on_event(NOW + 97_000.0, DeskEvent::Tick);
    assert_eq!(desk.model().agent_state, AgentState::Ready);
    assert_eq!(ready.last(), Some(&DeskAction::Publish(PresenceState::Available, "Ready".into())));
    assert!(matches!(logs(&ready)[..], [(_, true)]), "the end of After Call Work ends the wrap-up");
    // A missed call starts no After Call Work.
    desk.on_event(NOW, offered(2, "1003", None));
    let missed = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(2), reason: CallEnd::CallerCancelled });
    assert_eq!(records(&missed), [("call-2@test".to_owned(), Outcome::Missed)]);
    assert_eq!(desk.model().notice.as_deref(), Some("1003: missed call."));
    assert_eq!(desk.model().agent_state, AgentState::Ready);
}

#[test]
fn every_call_is_recorded_once_with_how_it_ended() {
    let mut desk = desk(COLLEAGUES, 0);
    let placed = |call: u32| DeskEvent::Placed {
        call: CallRef(call),
        call_id: format!("call-{call}@test"),
        party: Party::new(None, "1002"),
        number: "1002".into(),
        note: None,
        record: None,
    };
    let busy = CallEnd::Rejected { status: 486, reason: "Busy Here".into(), kind: RejectKind::Busy };
    desk.on_event(NOW, placed(1));
    let first = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(1), reason: busy.clone() });
    assert_eq!(records(&first), [("call-1@test".to_owned(), Outcome::Busy)]);
    assert!(records(&desk.on_event(NOW, DeskEvent::Ended { call: CallRef(1), reason: busy })).is_empty());
    desk.on_event(NOW, placed(2));
    desk.on_event(NOW, DeskEvent::RingingThere(CallRef(2)));
    let cancelled = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(2), reason: CallEnd::HungUpHere });
    assert_eq!(records(&cancelled), [("call-2@test".to_owned(), Outcome::Cancelled)]);
    desk.on_event(NOW, placed(3));
    desk.on_event(NOW, DeskEvent::Established(CallRef(3)));
    let transferred = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(3), reason: CallEnd::Transferred });
    assert_eq!(records(&transferred), [("call-3@test".to_owned(), Outcome::Transferred)]);
    let ids: Vec<&str> = desk.model().history.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["call-3@test", "call-2@test", "call-1@test"], "newest first");
}

#[test]
fn colleagues_hear_of_each_change_once_and_only_while_registered() {
    let mut desk = desk(COLLEAGUES, 0);
    // Registering published Ready already.
    assert!(desk.on_event(NOW, DeskEvent::Tick).is_empty());
    let lunch = desk.on_event(NOW, DeskEvent::StateChosen(AgentState::NotReady("Lunch".into())));
    assert_eq!(lunch, [DeskAction::Publish(PresenceState::Away, "Not Ready: Lunch".into())]);
    desk.on_event(NOW, DeskEvent::Session(Session::Reconnecting { retry_in: 1_000 }));
    assert!(desk.on_event(NOW, DeskEvent::StateChosen(AgentState::Ready)).is_empty(), "not registered");
    let back = desk.on_event(NOW, DeskEvent::Session(Session::Registered));
    assert_eq!(back, [DeskAction::Publish(PresenceState::Available, "Ready".into())], "told again once registered");
}

#[test]
fn the_snapshot_travels_as_json_and_names_are_cleaned_again_on_the_way_in() {
    let mut desk = desk(COLLEAGUES, 0);
    desk.on_event(NOW, offered(1, "1002", None));
    let json = serde_json::to_string(desk.model()).unwrap();
    let back: PhoneSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, desk.model());
    let hostile = json.replace("\"1002\"", "\"10\\u202e02\"");
    let read: PhoneSnapshot = serde_json::from_str(&hostile).unwrap();
    assert_eq!(read.calls[0].party.number.full(), "1002");
}

#[test]
fn calls_cut_off_by_the_page_going_away_are_recorded_as_such() {
    let mut desk = desk(COLLEAGUES, 30);
    desk.on_event(NOW, offered(1, "1002", None));
    desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    desk.on_event(NOW, DeskEvent::Established(CallRef(1)));
    desk.on_event(NOW, offered(2, "1003", None));
    let actions = desk.on_event(NOW + 12_000.0, DeskEvent::PageClosing);
    assert_eq!(
        records(&actions),
        [("call-1@test".to_owned(), Outcome::PageClosed), ("call-2@test".to_owned(), Outcome::PageClosed)]
    );
    assert_eq!(desk.model().history[1].seconds, 12, "the talked time so far");
    assert!(desk.model().calls.is_empty());
    // The core's own Ended events that follow (the BYE and the 480 the stop sends) add nothing.
    assert!(
        records(&desk.on_event(NOW, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpHere })).is_empty()
    );
}

#[test]
fn successive_readings_give_the_call_a_quality_and_a_silent_interval_keeps_it() {
    use crate::audio_level::AudioStats;
    use crate::call_quality::{Figures, Level};
    let reading = |received: u64, lost: i64, rtt: f64| AudioStats {
        quality: Figures {
            packets_received: received,
            packets_lost: lost,
            jitter_s: 0.002,
            round_trip_s: Some(rtt),
            ..Figures::default()
        },
        ..AudioStats::default()
    };
    let mut desk = desk(COLLEAGUES, 0);
    desk.on_event(NOW, offered(1, "1002", None));
    desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    desk.on_event(NOW, DeskEvent::Established(CallRef(1)));
    assert_eq!(desk.model().call(CallRef(1)).unwrap().quality, None, "measuring");
    desk.on_event(NOW, DeskEvent::Audio { call: CallRef(1), stats: reading(50, 0, 0.01) });
    let view = desk.model().call(CallRef(1)).unwrap();
    assert_eq!(view.quality_tally.level, Some(Level::Good));
    let good = view.quality.expect("an estimate").mos;
    // 20 % of the next interval's packets lost: poor.
    desk.on_event(NOW, DeskEvent::Audio { call: CallRef(1), stats: reading(90, 10, 0.01) });
    let view = desk.model().call(CallRef(1)).unwrap();
    assert_eq!(view.quality_tally.level, Some(Level::Poor));
    let poor = view.quality.expect("an estimate");
    assert!((poor.loss_ratio - 0.2).abs() < 1e-9);
    assert_eq!(view.quality_tally.worst, Some(poor.mos));
    assert_eq!(view.quality_tally.count, 2);
    assert!(good > poor.mos);
    // No packets in the next interval (held): the estimate stands.
    desk.on_event(NOW, DeskEvent::Audio { call: CallRef(1), stats: reading(90, 10, 0.01) });
    assert_eq!(desk.model().call(CallRef(1)).unwrap().quality_tally.count, 2);
    // The record keeps the worst and the average.
    let actions = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpHere });
    let record = actions
        .iter()
        .find_map(|a| match a {
            DeskAction::Record(r) => Some(r.clone()),
            _ => None,
        })
        .expect("the call is recorded");
    assert_eq!(record.worst_mos, Some((poor.mos * 100.0).round() as u16));
    assert_eq!(record.average_mos, Some(((good + poor.mos) / 2.0 * 100.0).round() as u16));
}

#[test]
fn a_call_shows_its_audio_path_reconnecting_then_restored() {
    let mut desk = desk(COLLEAGUES, 0);
    let call = CallRef(7);
    let party = Party::new(None, "1002");
    desk.on_event(
        NOW,
        DeskEvent::Placed { call, call_id: "c".into(), party, number: "1002".into(), note: None, record: None },
    );
    desk.on_event(NOW, DeskEvent::Established(call));
    let reconnecting = crate::ice_restart::LinkView { reconnecting: true, lost: false, restarts: 1 };
    desk.on_event(NOW + 3_000.0, DeskEvent::Link { call, link: reconnecting });
    assert_eq!(desk.model().call(call).map(|c| c.link), Some(reconnecting));
    let restored = crate::ice_restart::LinkView { reconnecting: false, lost: false, restarts: 1 };
    desk.on_event(NOW + 5_000.0, DeskEvent::Link { call, link: restored });
    assert_eq!(desk.model().call(call).map(|c| c.link), Some(restored));
    // A call the desk does not know is left alone.
    desk.on_event(NOW, DeskEvent::Link { call: CallRef(99), link: reconnecting });
    assert!(desk.model().call(CallRef(99)).is_none());
}

fn crm_events(actions: &[DeskAction]) -> Vec<AppEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            DeskAction::Tell(
                event @ (AppEvent::FindRecords { .. }
                | AppEvent::OpenRecord(_)
                | AppEvent::OpenNewRecord(_)
                | AppEvent::Log { .. }),
            ) => Some(event.clone()),
            _ => None,
        })
        .collect()
}

fn record(object: &str, id: &str) -> RecordRef {
    RecordRef { object: object.into(), id: id.into(), name: format!("{object} {id}"), phone: None }
}

fn logs(actions: &[DeskAction]) -> Vec<(CallLog, bool)> {
    crm_events(actions)
        .into_iter()
        .filter_map(|e| match e {
            AppEvent::Log { log, complete } => Some((log, complete)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_ringing_call_searches_the_crm_and_one_match_opens_and_is_logged_against() {
    let mut desk = desk(COLLEAGUES, 0);
    let actions = desk.on_event(NOW, offered(1, "+15550100101", None));
    let find =
        AppEvent::FindRecords { call: CallRef(1), number: "+15550100101".into(), direction: CallDirection::Inbound };
    assert_eq!(crm_events(&actions), [find]);
    let ana = RecordRef { phone: Some("+1 (555) 010-0101".into()), ..record("customer_contact", "a1") };
    let opened = desk.on_event(NOW, DeskEvent::RecordsFound { call: CallRef(1), records: vec![ana.clone()] });
    assert_eq!(crm_events(&opened), [AppEvent::OpenRecord(ana.clone())]);
    desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    desk.on_event(NOW, DeskEvent::Established(CallRef(1)));
    let ended = desk.on_event(NOW + 61_000.0, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpHere });
    let [(log, complete)] = logs(&ended).try_into().expect("one log");
    assert!(!complete, "an answered call is wrapped up first");
    assert_eq!((log.record, log.seconds, log.direction), (Some(ana), 61, CallDirection::Inbound));
    assert_eq!(desk.model().wrap_ups[0].call_id, "call-1@test");
    let kept = &desk.model().history[0];
    assert_eq!(kept.number_as_written.as_deref(), Some("+1 (555) 010-0101"), "the history writes it as the CRM does");
}

#[test]
fn several_matches_ask_the_agent_and_none_opens_a_new_record_when_configured() {
    let crm = CrmSettings { new_record_when_no_match: true, ..CrmSettings::default() };
    let mut desk = desk_with(COLLEAGUES, 0, crm);
    desk.on_event(NOW, offered(1, "+15550100177", None));
    let (ana, boxeo) = (record("customer_contact", "a1"), record("customer_account", "b1"));
    let asked =
        desk.on_event(NOW, DeskEvent::RecordsFound { call: CallRef(1), records: vec![ana.clone(), boxeo.clone()] });
    assert!(crm_events(&asked).is_empty(), "nothing opens before the agent picks");
    assert_eq!(desk.model().call(CallRef(1)).unwrap().record_choices, [ana.clone(), boxeo.clone()]);
    let stranger = record("sys_user", "evil");
    let refused = desk.on_event(NOW, DeskEvent::RecordPicked { call: CallRef(1), record: stranger });
    assert!(crm_events(&refused).is_empty(), "only a record offered can be picked");
    let picked = desk.on_event(NOW, DeskEvent::RecordPicked { call: CallRef(1), record: boxeo.clone() });
    assert_eq!(crm_events(&picked), [AppEvent::OpenRecord(boxeo.clone())]);
    let view = desk.model().call(CallRef(1)).unwrap();
    assert_eq!((view.record.as_ref(), view.record_choices.len()), (Some(&boxeo), 0));

    desk.on_event(NOW, offered(2, "+15550109999", None));
    let none = desk.on_event(NOW, DeskEvent::RecordsFound { call: CallRef(2), records: vec![] });
    assert_eq!(crm_events(&none), [AppEvent::OpenNewRecord("+15550109999".into())]);
}

#[test]
fn screen_pop_on_answer_waits_for_the_answer_and_off_never_searches() {
    let crm = CrmSettings { screen_pop: ScreenPopWhen::Answer, ..CrmSettings::default() };
    let mut desk = desk_with(COLLEAGUES, 0, crm);
    assert!(crm_events(&desk.on_event(NOW, offered(1, "1002", None))).is_empty());
    let answered = desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    assert!(matches!(crm_events(&answered)[..], [AppEvent::FindRecords { .. }]));
    let crm = CrmSettings { screen_pop: ScreenPopWhen::Off, ..CrmSettings::default() };
    let mut desk = desk_with(COLLEAGUES, 0, crm);
    desk.on_event(NOW, offered(1, "1002", None));
    assert!(crm_events(&desk.on_event(NOW, DeskEvent::Answering(CallRef(1)))).is_empty());
}

#[test]
fn a_missed_call_is_logged_at_once_and_an_outbound_call_keeps_its_record() {
    let mut desk = desk(COLLEAGUES, 0);
    desk.on_event(NOW, offered(1, "1002", None));
    let missed = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::CallerCancelled });
    let [(log, complete)] = logs(&missed).try_into().expect("one log");
    assert!(complete && desk.model().wrap_ups.is_empty(), "nobody wraps up a call they never took");
    assert_eq!(log.outcome, Outcome::Missed);

    let case = record("sn_customerservice_case", "c1");
    let placed = DeskEvent::Placed {
        call: CallRef(2),
        call_id: "out@test".into(),
        party: Party::new(None, "+15550100101"),
        number: "+15550100101".into(),
        note: None,
        record: Some(case.clone()),
    };
    assert!(crm_events(&desk.on_event(NOW, placed)).is_empty(), "an outbound call pops nothing");
    let busy = CallEnd::Rejected { status: 486, reason: "Busy Here".into(), kind: RejectKind::Busy };
    let ended = desk.on_event(NOW, DeskEvent::Ended { call: CallRef(2), reason: busy });
    let [(log, complete)] = logs(&ended).try_into().expect("one log");
    assert!(!complete, "the agent wraps up their own attempts");
    assert_eq!((log.record, log.direction, log.outcome), (Some(case), CallDirection::Outbound, Outcome::Busy));
}

fn answered_call(desk: &mut Desk, call: u32) {
    desk.on_event(NOW, offered(call, "1002", None));
    desk.on_event(NOW, DeskEvent::Answering(CallRef(call)));
    desk.on_event(NOW, DeskEvent::Established(CallRef(call)));
    desk.on_event(NOW + 10_000.0, DeskEvent::Ended { call: CallRef(call), reason: CallEnd::HungUpThere });
}

#[test]
fn wrap_up_edits_keep_the_draft_and_done_completes_it_and_ends_after_call_work() {
    let crm = CrmSettings {
        dispositions: vec!["Resolved".into(), "Call back".into()],
        disposition_required: true,
        ..CrmSettings::default()
    };
    let mut desk = desk_with(COLLEAGUES, 120, crm);
    answered_call(&mut desk, 1);
    assert!(matches!(desk.model().agent_state, AgentState::AfterCallWork { .. }));
    let refused = desk.on_event(NOW, DeskEvent::WrapUpDone("call-1@test".into()));
    assert!(logs(&refused).is_empty());
    assert_eq!(desk.model().wrap_ups[0].problem.as_deref(), Some("Choose a disposition before Done."));
    let unknown = DeskEvent::WrapUpEdited {
        call_id: "call-1@test".into(),
        disposition: Some("Hacked".into()),
        notes: String::new(),
    };
    desk.on_event(NOW, unknown);
    assert_eq!(desk.model().wrap_ups[0].disposition, None, "only configured dispositions");
    let edit = DeskEvent::WrapUpEdited {
        call_id: "call-1@test".into(),
        disposition: Some("Resolved".into()),
        notes: "Refund sent\u{202E}".into(),
    };
    let [(draft, complete)] = logs(&desk.on_event(NOW, edit)).try_into().expect("the draft");
    assert!(!complete);
    assert_eq!((draft.disposition.as_deref(), draft.notes.as_str()), (Some("Resolved"), "Refund sent"));
    let done = desk.on_event(NOW, DeskEvent::WrapUpDone("call-1@test".into()));
    let [(log, complete)] = logs(&done).try_into().expect("the log");
    assert!(complete && log.disposition.as_deref() == Some("Resolved"));
    assert!(desk.model().wrap_ups.is_empty());
    assert_eq!(desk.model().agent_state, AgentState::Ready, "Done ends After Call Work");
}

#[test]
fn the_after_call_work_timer_ends_every_wrap_up_with_what_was_entered() {
    let mut desk = desk(COLLEAGUES, 30);
    answered_call(&mut desk, 1);
    let edit = DeskEvent::WrapUpEdited { call_id: "call-1@test".into(), disposition: None, notes: "half a no".into() };
    desk.on_event(NOW, edit);
    assert!(logs(&desk.on_event(NOW + 20_000.0, DeskEvent::Tick)).is_empty());
    let over = desk.on_event(NOW + 41_000.0, DeskEvent::Tick);
    let [(log, complete)] = logs(&over).try_into().expect("the log");
    assert!(complete && log.notes == "half a no");
    assert!(desk.model().wrap_ups.is_empty());
}

/// A desk with call 1 from 1002 answered at `NOW`.
fn talking() -> Desk {
    let mut desk = desk(NOBODY, 30);
    desk.on_event(NOW, offered(1, "1002", None));
    desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    desk.on_event(NOW, DeskEvent::Established(CallRef(1)));
    desk
}

#[test]
fn a_call_moved_to_another_window_ends_here_without_a_record_a_log_or_after_call_work() {
    // The old dialog's BYE comes before the other window's word, or after it.
    for bye_first in [true, false] {
        let mut desk = talking();
        desk.on_event(NOW + 1_000.0, DeskEvent::Moving("call-1@test".into()));
        let bye = DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpThere };
        let moved = DeskEvent::Moved { call_id: "call-1@test".into(), result: Ok(()) };
        let (first, second) = if bye_first { (bye, moved) } else { (moved, bye) };
        let mut actions = desk.on_event(NOW + 2_000.0, first);
        if !bye_first {
            assert_eq!(actions, [DeskAction::HangUp(CallRef(1))], "the old dialog is ended here too");
        }
        actions.extend(desk.on_event(NOW + 2_100.0, second));
        assert!(records(&actions).is_empty() && logs(&actions).is_empty(), "{actions:?}");
        assert!(desk.model().calls.is_empty() && desk.model().history.is_empty() && desk.model().wrap_ups.is_empty());
        assert_eq!(desk.model().agent_state, AgentState::Ready, "no After Call Work for a call that goes on");
    }
}

#[test]
fn a_move_that_failed_leaves_the_call_here_and_a_call_that_ended_meanwhile_is_recorded() {
    let mut desk = talking();
    desk.on_event(NOW, DeskEvent::Moving("call-1@test".into()));
    let why = "the other side refused the new connection (420 Bad Extension)";
    desk.on_event(NOW, DeskEvent::Moved { call_id: "call-1@test".into(), result: Err(why.into()) });
    assert_eq!(desk.model().calls.len(), 1);
    assert_eq!(
        desk.model().notice.as_deref(),
        Some(format!("The call could not move to the other window: {why}.").as_str())
    );
    let ended = desk.on_event(NOW + 9_000.0, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpThere });
    assert_eq!(records(&ended), [("call-1@test".to_owned(), Outcome::Answered)], "an ordinary end again");

    // The caller hung up while the move was under way: the other window reports it gone.
    let mut desk = talking();
    desk.on_event(NOW, DeskEvent::Moving("call-1@test".into()));
    let quiet = desk.on_event(NOW + 4_000.0, DeskEvent::Ended { call: CallRef(1), reason: CallEnd::HungUpThere });
    assert!(records(&quiet).is_empty());
    let failed = DeskEvent::Moved { call_id: "call-1@test".into(), result: Err("481 Call Does Not Exist".into()) };
    let actions = desk.on_event(NOW + 4_500.0, failed);
    assert_eq!(records(&actions), [("call-1@test".to_owned(), Outcome::Answered)]);
    assert_eq!(desk.model().history[0].seconds, 4, "timed to the dialog's end, not the report");
    assert_eq!(desk.model().wrap_ups.len(), 1, "the agent wraps it up as usual");
}

#[test]
fn a_call_taken_over_keeps_its_call_id_start_and_record_and_is_logged_once_when_it_ends() {
    let mut there = talking();
    there.on_event(NOW, DeskEvent::Held { call: CallRef(1), held: true });
    let mut view = there.model().calls[0].clone();
    view.record = Some(RecordRef { object: "Contact".into(), id: "003".into(), name: "Ana".into(), phone: None });
    let mut here = desk(NOBODY, 30);
    here.on_event(NOW + 60_000.0, DeskEvent::TakingOver { call: CallRef(7), view: Box::new(view) });
    let shown = &here.model().calls[0];
    assert_eq!((shown.id, shown.stage, shown.held), (CallRef(7), CallStage::Connecting, true));
    let up = here.on_event(NOW + 60_100.0, DeskEvent::Established(CallRef(7)));
    assert!(up.contains(&DeskAction::Tell(AppEvent::TookOver { call_id: "call-1@test".into(), result: Ok(()) })));
    assert_eq!(here.model().calls[0].answered_at, Some(NOW), "the call timer runs on");
    let ended = here.on_event(NOW + 90_000.0, DeskEvent::Ended { call: CallRef(7), reason: CallEnd::HungUpHere });
    let record = &here.model().history[0];
    assert_eq!((record.id.as_str(), record.started, record.seconds), ("call-1@test", NOW as u64, 90));
    let logged = logs(&ended);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].0.record.as_ref().map(|r| r.id.as_str()), Some("003"));
}

#[test]
fn a_take_over_the_other_party_refuses_leaves_no_trace_here() {
    let mut here = desk(NOBODY, 30);
    let view = talking().model().calls[0].clone();
    here.on_event(NOW, DeskEvent::TakingOver { call: CallRef(7), view: Box::new(view) });
    let refused = CallEnd::Rejected { kind: RejectKind::Other, status: 420, reason: "Bad Extension".into() };
    let actions = here.on_event(NOW + 100.0, DeskEvent::Ended { call: CallRef(7), reason: refused });
    let why = "the other side refused the new connection (420 Bad Extension)".to_owned();
    assert_eq!(actions, [DeskAction::Tell(AppEvent::TookOver { call_id: "call-1@test".into(), result: Err(why) })]);
    assert!(here.model().calls.is_empty() && here.model().history.is_empty() && here.model().notice.is_none());
}

#[test]
fn the_other_party_s_hold_and_a_transfer_s_origin_are_told_on_the_call() {
    let mut desk = desk(NOBODY, 0);
    desk.on_event(NOW, offered(1, "1002", Some("1003")));
    let call = desk.model().call(CallRef(1)).unwrap();
    assert_eq!(call.notes, ["Transferred from 1003"]);
    desk.on_event(NOW, DeskEvent::Answering(CallRef(1)));
    desk.on_event(NOW, DeskEvent::Established(CallRef(1)));
    desk.on_event(NOW, DeskEvent::HeldThere { call: CallRef(1), held: true });
    assert_eq!(desk.model().call(CallRef(1)).unwrap().stage_text(), "Held by the other party");
    desk.on_event(NOW, DeskEvent::Held { call: CallRef(1), held: true });
    assert_eq!(desk.model().call(CallRef(1)).unwrap().stage_text(), "On hold", "our own hold says more");
    desk.on_event(NOW, DeskEvent::Held { call: CallRef(1), held: false });
    desk.on_event(NOW, DeskEvent::HeldThere { call: CallRef(1), held: false });
    assert_eq!(desk.model().call(CallRef(1)).unwrap().stage_text(), "Connected");
    // A referrer's user part is untrusted text: cleaned, and nothing said when nothing is left.
    desk.on_event(NOW, offered(2, "1004", Some("\u{202e}")));
    assert!(desk.model().call(CallRef(2)).unwrap().notes.is_empty());
}

#[test]
fn messages_land_in_conversations_named_from_the_directory_and_are_kept() {
    let mut desk = desk(RingWhenNotReady { colleagues: false, transfers: false }, 0);
    let received = DeskEvent::MessageReceived {
        number: "+15550101011".into(),
        name: Some("Mallory\u{202E}".into()),
        text: "Can you take\r\nline 2?\u{0}".into(),
    };
    assert_eq!(desk.on_event(NOW, received), [DeskAction::KeepConversations]);
    let conversation = &desk.model().conversations[0];
    assert_eq!(conversation.name.as_deref(), Some("Sam (supervisor)"), "the directory's name wins");
    assert_eq!(conversation.messages[0].text, "Can you take\nline 2?");
    assert_eq!(conversation.unread, 1);
    let blank = DeskEvent::MessageReceived { number: "1003".into(), name: None, text: "\u{200B}".into() };
    assert!(desk.on_event(NOW, blank).is_empty(), "nothing readable: nothing shown");
    let sent = DeskEvent::MessageSent { id: 7, number: "+15550101011".into(), text: "On it".into(), failure: None };
    desk.on_event(NOW + 1.0, sent);
    assert_eq!(desk.model().conversations[0].messages[1].delivery, Delivery::Sending);
    let settled = DeskEvent::MessageSettled { id: 7, delivery: Delivery::Failed("not available".into()) };
    assert_eq!(desk.on_event(NOW + 2.0, settled), [DeskAction::KeepConversations]);
    assert_eq!(desk.model().conversations[0].messages[1].delivery, Delivery::Failed("not available".into()));
    assert_eq!(desk.on_event(NOW, DeskEvent::ConversationRead("+15550101011".into())), [DeskAction::KeepConversations]);
    assert_eq!(desk.model().conversations[0].unread, 0);
    let refused =
        DeskEvent::MessageSent { id: 8, number: "1004".into(), text: "hi".into(), failure: Some("offline".into()) };
    desk.on_event(NOW + 3.0, refused);
    assert_eq!(desk.model().conversations[0].number, "1004");
    assert_eq!(desk.model().conversations[0].messages[0].delivery, Delivery::Failed("offline".into()));
}
