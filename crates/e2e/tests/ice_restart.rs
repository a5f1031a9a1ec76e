//! ICE restart: a relay-only call through the lab's coturn, reached through a UDP relay of the
//! tests' own (`e2e::UdpRelay`) that black-holes every packet on demand. When the call's path
//! goes dead the phone that placed the call restarts ICE by re-INVITE, its agent sees
//! "Reconnecting audio…" meanwhile, and the audio comes back at the far end, whose agent does
//! nothing at all. The browser coming back online restarts ICE at once.
//!
//! Agents 1031–1034 are this file's own (tests run two at a time).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use devserver::{IceServer, IceTransportPolicy};
use e2e::{
    Browser, Impairment, LISTEN, ReceivedAudio, TurnLab, UdpRelay, audio_received_over, by_role, call_and_answer,
    check_page_error_recorder, devserver_with_ice, eventually, hang_up, page_errors, received_audio,
    record_page_errors, selected_local_candidate_type, sign_in, watch_peer_connections,
};
use fantoccini::Client;

/// `ice.servers`: coturn as TURN over UDP, reached through `relay`.
fn turn_through(relay: &UdpRelay, lab: &TurnLab) -> Vec<IceServer> {
    vec![IceServer {
        urls: vec![format!("turn:{}?transport=udp", relay.addr)],
        username: Some(lab.user.clone()),
        credential: Some(lab.password.clone()),
    }]
}

/// A browser signed in as `user` whose peer connections, page errors and call statuses the
/// test reads.
async fn agent(widget: &str, user: &str) -> Browser {
    let browser = Browser::start().await;
    record_page_errors(&browser.client).await;
    watch_peer_connections(&browser.client).await;
    browser.client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    check_page_error_recorder(&browser.client).await;
    sign_in(&browser.client, user).await;
    record_call_statuses(&browser.client).await;
    browser
}

/// Keeps every text a call's `status` shows, however briefly, in `window.__callStatuses` with
/// when it first showed (`performance.now()`).
async fn record_call_statuses(client: &Client) {
    let script = "window.__callStatuses = [];
        const note = () => document.querySelectorAll('section.fp-call [role=status]')
          .forEach(e => { const text = e.textContent;
            if (!window.__callStatuses.some(s => s.text === text))
              window.__callStatuses.push({ text, at: performance.now() }); });
        new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });";
    client.execute(script, vec![]).await.expect("install the status recorder");
}

/// When "Reconnecting audio…" first showed (ms on the page's clock), if it did.
async fn reconnecting_shown(client: &Client) -> Option<f64> {
    call_statuses(client).await.into_iter().find(|(text, _)| text == "Reconnecting audio…").map(|(_, at)| at)
}

/// The call statuses shown so far, with when (ms on the page's clock).
async fn call_statuses(client: &Client) -> Vec<(String, f64)> {
    let found = client.execute("return window.__callStatuses || []", vec![]).await.expect("read the statuses");
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s.get("text")?.as_str()?.to_owned(), s.get("at")?.as_f64()?)))
        .collect()
}

/// The page's clock now (ms).
async fn page_now(client: &Client) -> f64 {
    client.execute("return performance.now()", vec![]).await.expect("read the clock").as_f64().unwrap_or(0.0)
}

/// The `a=ice-ufrag` of the other side's description of the page's newest call: for the
/// callee, the caller's latest offer.
async fn remote_ufrag(client: &Client) -> Option<String> {
    let script = "const calls = (window.__peerConnections || [])
          .filter(pc => pc.connectionState !== 'closed' && pc.remoteDescription);
        const sdp = calls.length ? calls[calls.length - 1].remoteDescription.sdp : '';
        const line = sdp.split('\\r\\n').find(l => l.startsWith('a=ice-ufrag:'));
        return line ? line.slice('a=ice-ufrag:'.length) : null;";
    client.execute(script, vec![]).await.expect("read the description").as_str().map(str::to_owned)
}

/// The text of the call region's **Call details** (closed, so not visible text).
async fn call_details(client: &Client) -> String {
    let script = "const d = document.querySelector('section.fp-call details');
        return d ? d.textContent : '';";
    client.execute(script, vec![]).await.expect("read the details").as_str().unwrap_or_default().to_owned()
}

/// Waits until `client` hears the other side: a [`LISTEN`] window with packets and the voice's
/// energy in them.
async fn hears(client: &Client, who: &str) -> ReceivedAudio {
    let heard = eventually(&format!("{who} to hear the other agent"), || async {
        let heard = audio_received_over(client, LISTEN).await;
        (heard.packets >= 50 && heard.energy > 1e-4).then_some(heard)
    })
    .await;
    eprintln!("{who} heard {heard:?}");
    heard
}

/// `caller` dials `number`; `callee` answers.
async fn call(caller: &Client, callee: &Client, number: &str) {
    by_role(caller, "textbox", "Number").await.expect("the Number box").send_keys(number).await.expect("type");
    call_and_answer(caller, callee).await;
}

/// Whether the call region at `client` says "Reconnecting audio…" now.
async fn reconnecting_now(client: &Client) -> bool {
    let region = e2e::call_region(client).await.expect("the call");
    region.text().await.unwrap_or_default().contains("Reconnecting audio…")
}

#[tokio::test]
async fn a_three_second_black_hole_restarts_ice_and_the_audio_comes_back_without_the_other_party_doing_anything() {
    let lab = TurnLab::from_env();
    let relay = UdpRelay::start(SocketAddr::from(([127, 0, 0, 1], lab.port))).await;
    // Relay only: every packet of the call passes the relay, both ways.
    let server = devserver_with_ice(turn_through(&relay, &lab), IceTransportPolicy::Relay).await;
    let a = agent(&server.widget, "1031").await;
    let b = agent(&server.widget, "1032").await;
    call(&a.client, &b.client, "1032").await;
    hears(&a.client, "the caller").await;
    hears(&b.client, "the callee").await;
    let first_offer = remote_ufrag(&b.client).await.expect("the callee holds the caller's offer");
    assert_eq!(reconnecting_shown(&a.client).await, None, "nothing to report before the outage");

    relay.set(Impairment { black_hole: true, ..Impairment::default() });
    let hole_began = page_now(&a.client).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    relay.set(Impairment::default());
    let hole_ended = Instant::now();
    let at_the_end = received_audio(&b.client).await;
    eprintln!("the caller's call statuses during the black hole: {:?}", call_statuses(&a.client).await);

    // The caller restarted ICE: the callee holds an offer with another username fragment.
    let restarted = eventually("the caller's ICE restart to reach the callee", || async {
        remote_ufrag(&b.client).await.filter(|ufrag| *ufrag != first_offer)
    })
    .await;
    eprintln!(
        "ice-ufrag {first_offer} → {restarted}, {:.1} s after the black hole",
        hole_ended.elapsed().as_secs_f64()
    );
    // The audio comes back at the far end: packets counted after the black hole, with the voice.
    let heard = hears(&b.client, "the callee after the black hole").await;
    let resumed = received_audio(&b.client).await - at_the_end;
    eprintln!("callee: audio back {:.1} s after the black hole; {resumed:?} since", hole_ended.elapsed().as_secs_f64());
    assert!(resumed.packets >= heard.packets, "the callee's packets grow after the black hole: {resumed:?}");
    hears(&a.client, "the caller after the black hole").await;
    assert_eq!(
        selected_local_candidate_type(&a.client).await.as_deref(),
        Some("relay"),
        "the restarted call still relays"
    );

    // The caller's agent saw "Reconnecting audio…" during the outage, and it went away.
    let statuses = call_statuses(&a.client).await;
    let shown_at = reconnecting_shown(&a.client).await;
    let shown_at = shown_at.unwrap_or_else(|| panic!("the caller never saw Reconnecting audio…: {statuses:?}"));
    eprintln!("Reconnecting audio… shown {:.1} s into the black hole", (shown_at - hole_began) / 1000.0);
    eventually("Reconnecting audio… to clear", || async { (!reconnecting_now(&a.client).await).then_some(()) }).await;
    let details = call_details(&a.client).await;
    assert!(details.contains("Audio reconnected (ICE restarts): 1"), "the caller's call details: {details}");

    // The callee did nothing: it is still in the same call, and restarted nothing of its own.
    let callee_details = call_details(&b.client).await;
    assert!(callee_details.contains("Audio reconnected (ICE restarts): 1"), "the callee's details: {callee_details}");
    let caller_view = remote_ufrag(&a.client).await;
    eprintln!("the caller's view of the callee: ice-ufrag {caller_view:?}");

    hang_up(&a.client, &b.client).await;
    for (client, who) in [(&a.client, "caller"), (&b.client, "callee")] {
        assert_eq!(page_errors(client).await, Vec::<String>::new(), "the {who}'s page errors");
    }
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn the_browser_coming_back_online_restarts_ice_at_once_and_the_call_goes_on() {
    let lab = TurnLab::from_env();
    let relay = UdpRelay::start(SocketAddr::from(([127, 0, 0, 1], lab.port))).await;
    let server = devserver_with_ice(turn_through(&relay, &lab), IceTransportPolicy::Relay).await;
    let a = agent(&server.widget, "1033").await;
    let b = agent(&server.widget, "1034").await;
    call(&a.client, &b.client, "1034").await;
    hears(&b.client, "the callee").await;
    // The callee's network, this time: the side that answered restarts for its own network.
    let first_answer = remote_ufrag(&a.client).await.expect("the caller holds the callee's answer");
    b.client
        .execute("window.dispatchEvent(new Event('offline')); window.dispatchEvent(new Event('online'));", vec![])
        .await
        .expect("the browser goes offline and back");
    let restarted = eventually("the callee's ICE restart to reach the caller", || async {
        remote_ufrag(&a.client).await.filter(|ufrag| *ufrag != first_answer)
    })
    .await;
    eprintln!("ice-ufrag {first_answer} → {restarted}");
    hears(&a.client, "the caller after the restart").await;
    hears(&b.client, "the callee after the restart").await;
    // The audio never stopped: nobody was told of an outage.
    for (client, who) in [(&a.client, "caller"), (&b.client, "callee")] {
        assert_eq!(reconnecting_shown(client).await, None, "the {who} saw Reconnecting audio…");
    }
    hang_up(&a.client, &b.client).await;
    for (client, who) in [(&a.client, "caller"), (&b.client, "callee")] {
        assert_eq!(page_errors(client).await, Vec::<String>::new(), "the {who}'s page errors");
    }
    a.close().await;
    b.close().await;
}
