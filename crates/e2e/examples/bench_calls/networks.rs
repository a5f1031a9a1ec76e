//! The widget beside JsSIP with a STUN/TURN server that is healthy, slow (200 ms each way) or
//! dead (black-holed): click → INVITE handed to the WebSocket and the candidates in that
//! INVITE's offer (ICE policy "all"), and answer → first audio over TURN (policy "relay").
//! coturn (long-term credentials) is reached through `e2e::UdpRelay` in every case, so only the
//! impairment differs.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use devserver::{IceServer, IceTransportPolicy};
use e2e::{Impairment, TurnLab, UdpRelay};

use crate::pages::{JsSipSite, Pair, Phone, forget, recorded};
use crate::stats::{Describe, Spread, ratio};

/// How long the bench waits for an INVITE before it gives the call up: JsSIP, by default,
/// waits for the browser's gathering to complete whatever the servers do.
const INVITE_LIMIT: Duration = Duration::from_secs(120);
/// How long one phone's calls in one condition may take in all: a phone that waits for a dead
/// server (JsSIP, about 40 s a call) makes fewer calls than asked, and the table says how many.
const BUDGET: Duration = Duration::from_secs(300);
/// How long an answered call may take to bring its first audio packet.
const AUDIO_LIMIT: Duration = Duration::from_secs(30);
/// Between calls, and between sign-in and the first call: an agent's calls are seconds apart,
/// and the widget prepares the next call's connection meanwhile.
const PAUSE: Duration = Duration::from_secs(3);

/// The STUN/TURN server's condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Packets pass untouched.
    Healthy,
    /// Every packet held 200 ms, both ways.
    Slow,
    /// Every packet dropped.
    Dead,
}

impl Condition {
    const ALL: [Condition; 3] = [Condition::Healthy, Condition::Slow, Condition::Dead];

    fn impairment(self) -> Impairment {
        match self {
            Condition::Healthy => Impairment::default(),
            Condition::Slow => Impairment { delay: Duration::from_millis(200), ..Impairment::default() },
            Condition::Dead => Impairment { black_hole: true, ..Impairment::default() },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Condition::Healthy => "healthy",
            Condition::Slow => "slow (200 ms each way)",
            Condition::Dead => "dead (black-holed)",
        }
    }
}

/// `ice.servers` with coturn reached through `relay`, as STUN and as TURN over UDP.
fn servers_through(relay: &UdpRelay, lab: &TurnLab) -> Vec<IceServer> {
    vec![IceServer {
        urls: vec![format!("stun:{}", relay.addr), format!("turn:{}?transport=udp", relay.addr)],
        username: Some(lab.user.clone()),
        credential: Some(lab.password.clone()),
    }]
}

/// A relay towards the lab's coturn in `condition`, and the ICE servers through it.
async fn server_in(condition: Condition, lab: &TurnLab) -> (UdpRelay, Vec<IceServer>) {
    let relay = UdpRelay::start(SocketAddr::from(([127, 0, 0, 1], lab.port))).await;
    relay.set(condition.impairment());
    let servers = servers_through(&relay, lab);
    (relay, servers)
}

/// How many candidates of each type (host, srflx, relay) an INVITE's SDP offers.
fn candidates(invite: &str) -> [usize; 3] {
    ["host", "srflx", "relay"].map(|kind| {
        invite.lines().filter(|l| l.starts_with("a=candidate") && l.contains(&format!(" typ {kind}"))).count()
    })
}

/// What one phone did in one condition.
#[derive(Default)]
struct Outcome {
    invites: Vec<f64>,
    /// Calls whose INVITE had not left within [`INVITE_LIMIT`].
    gave_up: usize,
    offers: Vec<[usize; 3]>,
    first_audio: Vec<f64>,
    /// Answered calls that brought no audio within [`AUDIO_LIMIT`].
    silent: usize,
}

/// `calls` calls from the pair's caller, each turned down once it rings: click → INVITE and
/// the offer's candidates.
async fn offers(pair: &Pair, calls: usize, outcome: &mut Outcome) {
    let started = Instant::now();
    for _ in 0..calls {
        if started.elapsed() > BUDGET {
            break;
        }
        forget(pair.caller()).await;
        Pair::click(pair.caller(), "Call").await;
        match recorded(pair.caller(), "Call", "invite", INVITE_LIMIT).await {
            Some(invite) => {
                let offer = candidates(&invite.text);
                eprintln!("  click → INVITE {:.1} ms, offer {offer:?}", invite.at - invite.click);
                outcome.invites.push(invite.at - invite.click);
                outcome.offers.push(offer);
                pair.rings().await;
                pair.decline().await;
            }
            None => {
                outcome.gave_up += 1;
                pair.hang_up().await;
            }
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// `calls` answered calls: the callee's click on Answer → its first audio packet.
async fn answers(pair: &Pair, calls: usize, outcome: &mut Outcome) {
    let started = Instant::now();
    for _ in 0..calls {
        if started.elapsed() > BUDGET {
            break;
        }
        Pair::click(pair.caller(), "Call").await;
        pair.rings().await;
        forget(pair.callee()).await;
        Pair::click(pair.callee(), "Answer").await;
        match recorded(pair.callee(), "Answer", "audio", AUDIO_LIMIT).await {
            Some(audio) => {
                eprintln!("  answer → first audio {:.1} ms", audio.at - audio.click);
                outcome.first_audio.push(audio.at - audio.click);
            }
            None => outcome.silent += 1,
        }
        pair.hang_up().await;
        tokio::time::sleep(PAUSE).await;
    }
}

/// Runs every condition for both phones, `calls` calls each, and prints the table.
pub async fn run(calls: usize, jssip_bundle: &Path) {
    let lab = TurnLab::from_env();
    let site = JsSipSite::start(jssip_bundle).await;
    let mut rows = Vec::new();
    for condition in Condition::ALL {
        let mut outcomes = Vec::new();
        for phone in [Phone::Framephone, Phone::JsSip] {
            let mut outcome = Outcome::default();
            eprintln!("{phone:?}, {}:", condition.name());
            let (_relay, servers) = server_in(condition, &lab).await;
            let pair = Pair::open(phone, &servers, IceTransportPolicy::All, &site).await;
            tokio::time::sleep(PAUSE).await;
            offers(&pair, calls, &mut outcome).await;
            pair.close().await;
            // Relay only: with the server dead no call can carry audio, by design.
            if condition != Condition::Dead {
                let (_relay, servers) = server_in(condition, &lab).await;
                let pair = Pair::open(phone, &servers, IceTransportPolicy::Relay, &site).await;
                tokio::time::sleep(PAUSE).await;
                answers(&pair, calls, &mut outcome).await;
                pair.close().await;
            }
            outcomes.push(outcome);
        }
        rows.push((condition, outcomes));
    }
    println!(
        "| measure | STUN/TURN | Framephone (runs: median, min–max) | JsSIP 3.13.8 (runs: median, min–max) | JsSIP : Framephone (medians) |"
    );
    println!("|---|---|---|---|---|");
    for (condition, outcomes) in &rows {
        let (ours, theirs) = (&outcomes[0], &outcomes[1]);
        let invites = |o: &Outcome| Spread::of(&o.invites).describe(o.gave_up, "no INVITE within 120 s");
        println!(
            "| click → INVITE sent | {} | {} | {} | {} |",
            condition.name(),
            invites(ours),
            invites(theirs),
            ratio(&theirs.invites, &ours.invites)
        );
        println!(
            "| candidates in the offer, host/srflx/relay (calls) | {} | {} | {} | |",
            condition.name(),
            offered(&ours.offers),
            offered(&theirs.offers)
        );
    }
    for (condition, outcomes) in &rows {
        let (ours, theirs) = (&outcomes[0], &outcomes[1]);
        if *condition == Condition::Dead {
            println!(
                "| answer → first audio, relay only | {} | not run: no relay, no audio | not run | |",
                condition.name()
            );
            continue;
        }
        let audio = |o: &Outcome| Spread::of(&o.first_audio).describe(o.silent, "no audio within 30 s");
        println!(
            "| answer → first audio, relay only | {} | {} | {} | {} |",
            condition.name(),
            audio(ours),
            audio(theirs),
            ratio(&theirs.first_audio, &ours.first_audio)
        );
    }
}

/// The offers' candidate counts, each distinct combination with how many calls had it.
fn offered(offers: &[[usize; 3]]) -> String {
    let mut seen: Vec<([usize; 3], usize)> = Vec::new();
    for offer in offers {
        match seen.iter_mut().find(|(o, _)| o == offer) {
            Some((_, n)) => *n += 1,
            None => seen.push((*offer, 1)),
        }
    }
    seen.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    if seen.is_empty() {
        return "no offer".into();
    }
    seen.iter().map(|([h, s, r], n)| format!("{h}/{s}/{r} ({n})")).collect::<Vec<_>>().join(", ")
}
