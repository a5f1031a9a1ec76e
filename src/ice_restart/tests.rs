use super::*;

/// A call whose path is up: established, ICE connected, packets flowing, at t = 10 s.
struct Call {
    policy: LinkPolicy,
    now: f64,
    bytes: u64,
    restarts: Vec<f64>,
}

impl Call {
    fn up(caller: bool) -> Call {
        let mut call = Call { policy: LinkPolicy::new(caller), now: 0.0, bytes: 0, restarts: Vec::new() };
        call.event(LinkEvent::Ice(IceState::Checking));
        call.event(LinkEvent::Established);
        call.event(LinkEvent::Ice(IceState::Connected));
        call.seconds(10, true);
        assert!(call.restarts.is_empty());
        call
    }

    fn event(&mut self, event: LinkEvent) {
        for action in self.policy.on_event(self.now, event) {
            assert_eq!(action, LinkAction::Restart);
            self.restarts.push(self.now);
        }
    }

    /// `n` once-a-second readings, with packets or without.
    fn seconds(&mut self, n: u32, packets: bool) {
        self.seconds_expecting(n, packets, true);
    }

    fn seconds_expecting(&mut self, n: u32, packets: bool, expecting: bool) {
        for _ in 0..n {
            self.now += 1_000.0;
            if packets {
                self.bytes += 5_000;
            }
            self.event(LinkEvent::Reading { received: self.bytes, silent_ms: None, expecting });
        }
    }

    fn at(&mut self, ms: f64) {
        self.now = ms;
    }

    fn view(&self) -> LinkView {
        self.policy.view(self.now)
    }
}

#[test]
fn a_second_without_packets_restarts_nothing_and_shows_nothing() {
    let mut call = Call::up(true);
    call.seconds(1, false);
    assert_eq!(call.view(), LinkView::default());
    call.seconds(5, true);
    assert!(call.restarts.is_empty());
    assert_eq!(call.view(), LinkView::default());
}

#[test]
fn the_caller_restarts_after_two_silent_seconds_and_reconnecting_shows_until_packets_flow() {
    let mut call = Call::up(true);
    call.seconds(1, false);
    assert!(call.restarts.is_empty());
    call.seconds(1, false);
    assert_eq!(call.restarts, vec![12_000.0], "restarted at the second silent reading");
    assert!(call.view().reconnecting);
    call.event(LinkEvent::Sent);
    call.event(LinkEvent::Negotiated);
    assert_eq!(call.view(), LinkView { reconnecting: true, lost: false, restarts: 1 });
    call.event(LinkEvent::Ice(IceState::Checking));
    call.event(LinkEvent::Ice(IceState::Connected));
    assert!(call.view().reconnecting, "ICE alone is not audio");
    call.seconds(1, true);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 1 });
    call.seconds(20, true);
    assert_eq!(call.restarts.len(), 1);
}

#[test]
fn the_path_healing_by_itself_while_the_restart_is_made_still_lets_it_go_and_clears_the_notice() {
    let mut call = Call::up(true);
    call.seconds(2, false);
    assert_eq!(call.restarts.len(), 1);
    call.seconds(1, true);
    assert!(!call.view().reconnecting, "audio is back");
    call.event(LinkEvent::Sent);
    call.seconds(10, true);
    assert_eq!(call.restarts.len(), 1);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 1 });
}

#[test]
fn the_answerer_shows_reconnecting_but_waits_and_the_callers_restart_does_the_work() {
    let mut call = Call::up(false);
    call.seconds(2, false);
    assert!(call.restarts.is_empty(), "the caller goes first");
    assert!(call.view().reconnecting, "the agent is told all the same");
    call.seconds(1, false);
    call.event(LinkEvent::RemoteRestart);
    call.event(LinkEvent::Negotiated);
    call.event(LinkEvent::Ice(IceState::Checking));
    call.seconds(6, false);
    assert!(call.restarts.is_empty(), "the caller's restart is at work: {:?}", call.restarts);
    assert!(call.view().reconnecting);
    call.event(LinkEvent::Ice(IceState::Connected));
    call.seconds(1, true);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 1 });
}

#[test]
fn the_answerer_restarts_itself_when_the_caller_does_not() {
    let mut call = Call::up(false);
    call.seconds(6, false);
    assert!(call.restarts.is_empty());
    call.seconds(1, false);
    assert_eq!(call.restarts, vec![17_000.0], "after the grace and the answerer's wait");
}

#[test]
fn disconnected_restarts_after_the_grace_and_failed_at_once() {
    // Held by us: no packets are expected, ICE alone tells.
    let mut call = Call::up(true);
    call.seconds_expecting(3, false, false);
    call.event(LinkEvent::Ice(IceState::Disconnected));
    call.at(call.now + GRACE_MS - 100.0);
    call.seconds_expecting(0, false, false);
    call.event(LinkEvent::Reading { received: call.bytes, silent_ms: None, expecting: false });
    assert!(call.restarts.is_empty());
    call.at(call.now + 100.0);
    call.event(LinkEvent::Reading { received: call.bytes, silent_ms: None, expecting: false });
    assert_eq!(call.restarts.len(), 1);

    let mut call = Call::up(true);
    call.event(LinkEvent::Ice(IceState::Failed));
    assert_eq!(call.restarts.len(), 1, "failed needs no grace for the caller");
    assert!(call.view().reconnecting);
    let mut call = Call::up(false);
    call.event(LinkEvent::Ice(IceState::Failed));
    assert!(call.restarts.is_empty());
    call.seconds_expecting(5, false, false);
    assert_eq!(call.restarts.len(), 1, "the answerer after its wait");
}

#[test]
fn a_held_call_receiving_nothing_restarts_nothing() {
    let mut call = Call::up(true);
    call.seconds_expecting(30, false, false);
    assert!(call.restarts.is_empty());
    assert_eq!(call.view(), LinkView::default());
    // Resumed: the first reading expecting packets has its full grace.
    call.seconds_expecting(1, false, true);
    assert!(call.restarts.is_empty());
    call.seconds(3, true);
    assert_eq!(call.view(), LinkView::default());
}

#[test]
fn a_restart_waits_for_the_offer_in_progress_and_goes_right_after_it() {
    let mut call = Call::up(true);
    call.seconds(2, false);
    assert_eq!(call.restarts.len(), 1);
    call.event(LinkEvent::Busy);
    call.at(call.now + 300.0);
    call.event(LinkEvent::Negotiated);
    assert_eq!(call.restarts.len(), 2, "again as soon as the other offer ended");
    call.event(LinkEvent::Busy);
    call.seconds(1, false);
    assert_eq!(call.restarts.len(), 3, "or a second later");
    call.event(LinkEvent::Sent);
    assert_eq!(call.view().restarts, 1, "one left");
}

#[test]
fn attempts_are_bounded_and_spaced_then_the_agent_is_told_the_audio_is_lost() {
    let mut call = Call::up(true);
    call.seconds(2, false);
    for _ in 0..40 {
        if call.policy.phase == Phase::Sending {
            call.event(LinkEvent::Sent);
        }
        call.seconds(1, false);
    }
    let gaps: Vec<f64> = call.restarts.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(call.restarts.len(), MAX_ATTEMPTS as usize, "{:?}", call.restarts);
    assert_eq!(gaps, vec![ATTEMPT_TIMEOUT_MS + spacing_ms(2), ATTEMPT_TIMEOUT_MS + spacing_ms(3)]);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: true, restarts: 3 });
    // The path comes back by itself: all is well again.
    call.event(LinkEvent::Ice(IceState::Connected));
    call.seconds(1, true);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 3 });
}

#[test]
fn a_refused_or_failed_restart_is_tried_again_after_its_spacing() {
    let mut call = Call::up(true);
    call.seconds(2, false);
    call.event(LinkEvent::Failed);
    call.seconds(1, false);
    assert_eq!(call.restarts.len(), 2, "{:?}", call.restarts);
    assert!(call.restarts[1] - call.restarts[0] >= spacing_ms(2));
}

#[test]
fn a_new_network_restarts_at_once_without_alarming_the_agent_and_offline_waits() {
    let mut call = Call::up(false);
    call.event(LinkEvent::Network(Network::Changed { kind_changed: true }));
    assert_eq!(call.restarts.len(), 1, "whoever placed the call");
    call.event(LinkEvent::Sent);
    call.seconds(1, true);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 1 });

    let mut call = Call::up(true);
    call.event(LinkEvent::Network(Network::Offline));
    call.seconds(5, false);
    assert!(call.restarts.is_empty(), "nothing to gather with while offline");
    assert!(call.view().reconnecting);
    call.event(LinkEvent::Network(Network::Online));
    assert_eq!(call.restarts.len(), 1);
    // Online without having been offline is no news.
    let mut call = Call::up(true);
    call.event(LinkEvent::Network(Network::Online));
    assert!(call.restarts.is_empty());
}

#[test]
fn a_change_of_estimates_only_makes_the_next_sign_of_trouble_restart_at_once() {
    let mut call = Call::up(false);
    call.event(LinkEvent::Network(Network::Changed { kind_changed: false }));
    call.seconds(3, true);
    assert!(call.restarts.is_empty());
    call.seconds(1, false);
    assert_eq!(call.restarts.len(), 1, "the first silent reading, even for the answerer");
    let mut call = Call::up(false);
    call.event(LinkEvent::Network(Network::Changed { kind_changed: false }));
    call.seconds(11, true);
    call.seconds(1, false);
    assert!(call.restarts.is_empty(), "the hint lasts {HINT_MS} ms");
}

#[test]
fn a_far_end_that_sends_nothing_costs_one_restart_and_no_notice_after() {
    let mut call = Call::up(true);
    call.seconds(2, false);
    call.event(LinkEvent::Sent);
    call.event(LinkEvent::Negotiated);
    call.event(LinkEvent::Ice(IceState::Checking));
    call.event(LinkEvent::Ice(IceState::Connected));
    call.seconds(30, false);
    assert_eq!(call.restarts.len(), 1);
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 1 });
    // Packets again, then silence again: that counts once more.
    call.seconds(1, true);
    call.seconds(2, false);
    assert_eq!(call.restarts.len(), 2);
}

#[test]
fn nothing_restarts_before_the_call_is_established_nor_while_ice_first_checks() {
    let mut call = Call { policy: LinkPolicy::new(true), now: 0.0, bytes: 0, restarts: Vec::new() };
    call.event(LinkEvent::Ice(IceState::Failed));
    call.seconds(10, false);
    assert!(call.restarts.is_empty());
    assert_eq!(call.view(), LinkView::default());
    let mut call = Call { policy: LinkPolicy::new(true), now: 0.0, bytes: 0, restarts: Vec::new() };
    call.event(LinkEvent::Established);
    call.event(LinkEvent::Ice(IceState::Checking));
    call.seconds(10, false);
    assert!(call.restarts.is_empty(), "the first checks are ICE's own business");
    call.event(LinkEvent::Ice(IceState::Closed));
    call.event(LinkEvent::Network(Network::Changed { kind_changed: true }));
    assert!(call.restarts.is_empty(), "a closed connection restarts nothing");
}

#[test]
fn a_slow_first_connection_is_not_taken_for_a_dead_path() {
    let mut call = Call { policy: LinkPolicy::new(true), now: 0.0, bytes: 0, restarts: Vec::new() };
    call.event(LinkEvent::Established);
    // Before the answer's direction is known nothing is expected; then ICE takes its time.
    call.seconds_expecting(2, false, false);
    call.event(LinkEvent::Ice(IceState::Checking));
    call.seconds(5, false);
    call.event(LinkEvent::Ice(IceState::Connected));
    call.seconds(1, false);
    assert!(call.restarts.is_empty(), "{:?}", call.restarts);
    assert_eq!(call.view(), LinkView::default());
    call.seconds(3, true);
    call.seconds(2, false);
    assert_eq!(call.restarts.len(), 1, "once packets have flowed, silence counts");
}

#[test]
fn when_the_browser_dates_the_last_packet_one_late_reading_is_enough() {
    // A busy page: readings 3 s apart. The count alone would see growth at both.
    let mut call = Call::up(true);
    call.bytes += 1_000;
    call.at(call.now + 3_000.0);
    call.event(LinkEvent::Reading { received: call.bytes, silent_ms: Some(2_400.0), expecting: true });
    assert_eq!(call.restarts.len(), 1, "silent for 2.4 s");
    assert!(call.view().reconnecting);
    call.event(LinkEvent::Sent);
    call.bytes += 1_000;
    call.at(call.now + 3_000.0);
    call.event(LinkEvent::Reading { received: call.bytes, silent_ms: Some(20.0), expecting: true });
    assert_eq!(call.view(), LinkView { reconnecting: false, lost: false, restarts: 1 });
    // A second without packets is no outage.
    call.at(call.now + 1_000.0);
    call.event(LinkEvent::Reading { received: call.bytes, silent_ms: Some(1_020.0), expecting: true });
    assert_eq!(call.restarts.len(), 1);
    assert!(!call.view().reconnecting);
}

#[test]
fn the_spacing_grows_and_stays_bounded() {
    assert_eq!([1, 2, 3, 4].map(spacing_ms), [0.0, 1_000.0, 2_000.0, 4_000.0]);
    assert_eq!(spacing_ms(40), 16_000.0);
}

#[test]
fn ice_states_and_username_fragments_are_read_from_the_browser_s_words() {
    assert_eq!(IceState::parse("disconnected"), Some(IceState::Disconnected));
    assert_eq!(IceState::parse("completed"), Some(IceState::Completed));
    assert_eq!(IceState::parse("bogus"), None);
    let offer =
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:AbCd\r\na=ice-pwd:x\r\n";
    assert_eq!(ice_ufrag(offer), Some("AbCd"));
    assert_eq!(ice_ufrag("v=0\r\n"), None);
    assert!(restarts_ice(Some(offer), &offer.replace("AbCd", "WxYz")));
    assert!(!restarts_ice(Some(offer), offer), "hold and resume keep the fragment");
    assert!(!restarts_ice(None, offer), "the first offer restarts nothing");
}
