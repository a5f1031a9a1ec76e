//! Calls when the way to the STUN/TURN server is slow, dead or spoils the media: a UDP relay of
//! the tests' own (`e2e::UdpRelay`) stands in front of the lab's coturn (long-term credentials)
//! and delays, drops or black-holes packets on demand. Since it gives each browser a socket of
//! its own towards coturn, coturn sees it as a NAT, and its server-reflexive answers differ from
//! the browsers' host candidates (on plain loopback the browser would drop them as duplicates).
//!
//! Agents 1023–1028 are this file's own (tests run two at a time).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use devserver::{IceServer, IceTransportPolicy};
use e2e::{
    Impairment, TurnLab, UdpRelay, call_quality, devserver_with_ice, dial_and_answer, eventually, hang_up, hears,
    signed_in_browser_watching_audio,
};
use fantoccini::Client;

/// `ice.servers` with coturn reached through `relay`, as STUN and as TURN over UDP.
fn servers_through(relay: &UdpRelay, lab: &TurnLab) -> Vec<IceServer> {
    vec![IceServer {
        urls: vec![format!("stun:{}", relay.addr), format!("turn:{}?transport=udp", relay.addr)],
        username: Some(lab.user.clone()),
        credential: Some(lab.password.clone()),
    }]
}

async fn relay_to_coturn(lab: &TurnLab) -> UdpRelay {
    UdpRelay::start(SocketAddr::from(([127, 0, 0, 1], lab.port))).await
}

/// `caller` calls `number`; `callee` answers. Returns the time from the click on Call to the
/// INVITE handed to the WebSocket, from the caller page's own marks.
async fn call(caller: &Client, callee: &Client, number: &str) -> f64 {
    dial_and_answer(caller, callee, number).await;
    let script = "const at = name => { const all = performance.getEntriesByName('framephone:' + name); \
                  return all.length ? all[all.length - 1].startTime : null; }; \
                  const dial = at('dial'), invite = at('invite'); \
                  return dial === null || invite === null ? null : invite - dial;";
    let value = caller.execute(script, vec![]).await.expect("read the marks");
    value.as_f64().expect("the page marked the click and the INVITE")
}

/// How many candidates of each type (host, srflx, relay) the other side's description of the
/// page's newest call holds: for the callee, the caller's offer as the INVITE carried it. Waits
/// for that description, which the callee's connection gets only once it answers.
async fn offered_candidates(client: &Client) -> (usize, usize, usize) {
    let script = "const calls = (window.__peerConnections || []).filter(pc => pc.remoteDescription); \
                  return calls.length ? calls[calls.length - 1].remoteDescription.sdp : null;";
    let sdp = eventually("the other side's description", || async {
        client.execute(script, vec![]).await.ok()?.as_str().map(str::to_owned)
    })
    .await;
    let count = |kind: &str| {
        sdp.lines().filter(|l| l.starts_with("a=candidate") && l.contains(&format!(" typ {kind}"))).count()
    };
    (count("host"), count("srflx"), count("relay"))
}

#[tokio::test]
async fn a_slow_server_s_candidates_are_in_the_offer() {
    let lab = TurnLab::from_env();
    let relay = relay_to_coturn(&lab).await;
    // 200 ms each way: a STUN answer takes 400 ms, a TURN allocation (two round trips) 800 ms.
    relay.set(Impairment { delay: Duration::from_millis(200), ..Impairment::default() });
    let server = devserver_with_ice(servers_through(&relay, &lab), IceTransportPolicy::All).await;
    let a = signed_in_browser_watching_audio(&server.widget, "1023").await;
    let b = signed_in_browser_watching_audio(&server.widget, "1024").await;
    // The agent is registered; the connection kept ready gathers meanwhile.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let click_to_invite = call(&a.client, &b.client, "1024").await;
    let (host, srflx, relayed) = offered_candidates(&b.client).await;
    eprintln!(
        "server 200 ms away, prepared ahead: click → INVITE {click_to_invite:.1} ms; offer: {host} host, {srflx} srflx, {relayed} relay"
    );
    assert!(
        srflx > 0 && relayed > 0,
        "the offer lacks the server's candidates: {host} host, {srflx} srflx, {relayed} relay"
    );
    // STUN's candidates come from the pool at once; the relay does when Chromium takes it from
    // the pool, else the offer waits for a new allocation (800 ms here), never past the TURN
    // limit (1 s), with room for a loaded machine.
    assert!(click_to_invite < 2_000.0, "the INVITE waited {click_to_invite:.1} ms");
    hears(&a.client, "the caller").await;
    hears(&b.client, "the callee").await;
    hang_up(&a.client, &b.client).await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn a_dead_server_holds_the_invite_up_no_longer_than_its_limit_and_the_call_works_on_host_candidates() {
    let lab = TurnLab::from_env();
    let relay = relay_to_coturn(&lab).await;
    relay.set(Impairment { black_hole: true, ..Impairment::default() });
    let server = devserver_with_ice(servers_through(&relay, &lab), IceTransportPolicy::All).await;
    let a = signed_in_browser_watching_audio(&server.widget, "1025").await;
    let b = signed_in_browser_watching_audio(&server.widget, "1026").await;
    // At once: the server has not had its limit in the connection kept ready.
    let first = call(&a.client, &b.client, "1026").await;
    let (host, srflx, relayed) = offered_candidates(&b.client).await;
    eprintln!(
        "dead server, first call: click → INVITE {first:.1} ms; offer: {host} host, {srflx} srflx, {relayed} relay"
    );
    assert!(host > 0 && srflx == 0 && relayed == 0, "{host} host, {srflx} srflx, {relayed} relay");
    // The TURN limit (1 s) and no more, with room for a loaded machine.
    assert!(first < 2_000.0, "the INVITE waited {first:.1} ms for a dead server");
    hears(&a.client, "the caller").await;
    hears(&b.client, "the callee").await;
    hang_up(&a.client, &b.client).await;
    // The next call: the server stayed silent, so nothing waits for it.
    let second = call(&a.client, &b.client, "1026").await;
    eprintln!("dead server, second call: click → INVITE {second:.1} ms");
    assert!(second < 400.0, "the INVITE waited {second:.1} ms for a server known to be silent");
    hears(&b.client, "the callee").await;
    hang_up(&a.client, &b.client).await;
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn the_quality_indicator_reads_poor_under_loss_and_jitter_and_recovers() {
    let lab = TurnLab::from_env();
    let relay = relay_to_coturn(&lab).await;
    // Relay only: every packet of the call passes the relay, both ways.
    let server = devserver_with_ice(servers_through(&relay, &lab), IceTransportPolicy::Relay).await;
    let a = signed_in_browser_watching_audio(&server.widget, "1027").await;
    let b = signed_in_browser_watching_audio(&server.widget, "1028").await;
    call(&a.client, &b.client, "1028").await;
    hears(&a.client, "the caller").await;
    for (client, who) in [(&a.client, "caller"), (&b.client, "callee")] {
        eventually(&format!("the {who}'s quality to read good"), || async {
            call_quality(client).await.filter(|q| q.starts_with("Call quality: good"))
        })
        .await;
    }
    relay.set(Impairment { loss: 0.1, jitter: Duration::from_millis(100), ..Impairment::default() });
    let impaired = Instant::now();
    let poor = eventually("the quality to read poor", || async {
        call_quality(&b.client).await.filter(|q| q.starts_with("Call quality: poor"))
    })
    .await;
    eprintln!("10 % loss and 100 ms jitter: {poor:?} after {:.1} s", impaired.elapsed().as_secs_f64());
    let region = e2e::call_text(&b.client).await.expect("the call");
    assert!(region.contains("Call quality is poor"), "no warning in the call: {region}");
    relay.set(Impairment::default());
    let mended = Instant::now();
    let good = eventually("the quality to recover", || async {
        call_quality(&b.client).await.filter(|q| !q.starts_with("Call quality: poor"))
    })
    .await;
    eprintln!("impairment gone: {good:?} after {:.1} s", mended.elapsed().as_secs_f64());
    hang_up(&a.client, &b.client).await;
    a.close().await;
    b.close().await;
}
