//! The widget beside a JsSIP-based phone, step by step: both phones' pages are open side by
//! side in the same lab and run, driven through the same accessible controls, one round of
//! each in turn (sign out and in, a declined call, an answered call held, resumed and hung up,
//! the page opened again from the browser's cache). No STUN or TURN server is configured, so
//! no step waits for the network. Every figure comes from the pages' recorder (`recorder.js`).

use std::time::Duration;

use devserver::IceTransportPolicy;
use fantoccini::Client;

use crate::pages::{JsSipSite, Log, Packet, Pair, Phone, forget, log, recorded, wait_in_log};
use crate::stats::{Describe, Spread};

/// How long any one awaited message or packet may take.
const LIMIT: Duration = Duration::from_secs(30);
/// Between steps: an agent's actions are seconds apart, and each phone may prepare meanwhile.
const PAUSE: Duration = Duration::from_secs(1);

/// The steps, in the table's order: its name and the most Framephone may take, as a share of
/// JsSIP's median.
const STEPS: [(&str, f64); 10] = [
    ("Sign in click → REGISTER sent", 0.7),
    ("REGISTER sent → 200 received (with the 401 round trip)", 0.7),
    ("Sign in click → \"Registered as …\" shown", 1.0),
    ("Call click → INVITE sent", 1.0),
    ("INVITE sent → 180 received (caller)", 1.0),
    ("Answer click → first audio packet (callee)", 1.0),
    ("Decline click (callee) → final response received (caller)", 0.7),
    ("Hold click → re-INVITE sent", 1.0),
    ("Hang up click → BYE sent", 1.0),
    ("Warm reload (page opened again, files cached) → \"Registered as …\" shown", 1.0),
];

/// Where a sign-in's time goes, to find what to change: no targets, each phone's own parts.
const SIGN_IN_PARTS: [&str; 8] = [
    "Sign in click → its listeners run",
    "Sign in click → WebSocket made",
    "WebSocket made → its open event",
    "Open event → REGISTER sent",
    "REGISTER sent → its challenge (401/407) received",
    "Challenge received → REGISTER with credentials sent",
    "REGISTER with credentials sent → 200 received",
    "200 received → \"Registered as …\" shown",
];

/// The widget's start-up marks, in the order it reaches them (the first rows of the reload's
/// parts).
const START_MARKS: [&str; 5] = [
    "framephone:started",
    "framephone:configured",
    "framephone:host-known",
    "framephone:interactive",
    "framephone:owner",
];

/// Where a warm reload's time goes, from the page's navigation start: the start-up marks, then
/// the connection.
const RELOAD_PARTS: [&str; 9] = [
    "Page start → wasm running (`framephone:started`)",
    "Page start → configuration read (`framephone:configured`)",
    "Page start → host known (`framephone:host-known`)",
    "Page start → phone interactive (`framephone:interactive`)",
    "Page start → owner known (`framephone:owner`)",
    "Page start → WebSocket made",
    "WebSocket made → its open event",
    "Open event → REGISTER sent",
    "REGISTER sent → \"Registered as …\" shown",
];

/// One phone's timings, a list per step, and the sign-in's and the reload's parts.
#[derive(Default)]
struct Timings {
    steps: [Vec<f64>; STEPS.len()],
    sign_in: [Vec<f64>; SIGN_IN_PARTS.len()],
    reload: [Vec<f64>; RELOAD_PARTS.len()],
}

/// Runs `rounds` rounds of every step for both phones and prints the table.
pub async fn run(rounds: usize, site: &JsSipSite) {
    let phones = [Phone::Framephone, Phone::JsSip];
    let mut pairs = Vec::new();
    for phone in phones {
        pairs.push(Pair::open(phone, &[], IceTransportPolicy::All, site).await);
    }
    let mut timings: [Timings; 2] = Default::default();
    for number in 1..=rounds {
        for (pair, timings) in pairs.iter().zip(timings.iter_mut()) {
            eprintln!("round {number}, {:?}", pair.phone());
            round(pair, timings).await;
        }
    }
    for pair in pairs {
        pair.close().await;
    }
    println!(
        "| step | Framephone (runs: median, min–max) | JsSIP 3.13.8 (runs: median, min–max) | Framephone : JsSIP (medians) | target |"
    );
    println!("|---|---|---|---|---|");
    for (index, (name, target)) in STEPS.iter().enumerate() {
        let (ours, theirs) = (&timings[0].steps[index], &timings[1].steps[index]);
        let missing = |t: &Vec<f64>| rounds - t.len();
        let share = match (Spread::of(ours), Spread::of(theirs)) {
            (Some(o), Some(t)) if t.median > 0.0 => {
                let share = o.median / t.median;
                format!("{share:.2}×{}", if share <= *target { "" } else { " (over)" })
            }
            _ => "—".into(),
        };
        println!(
            "| {name} | {} | {} | {share} | ≤ {target:.1}× |",
            Spread::of(ours).describe(missing(ours), "not seen"),
            Spread::of(theirs).describe(missing(theirs), "not seen"),
        );
    }
    let parts = |title: &str, names: &[&str], of: fn(&Timings) -> &[Vec<f64>]| {
        println!();
        println!("| {title} | Framephone | JsSIP 3.13.8 |");
        println!("|---|---|---|");
        for (index, name) in names.iter().enumerate() {
            let (ours, theirs) = (&of(&timings[0])[index], &of(&timings[1])[index]);
            println!(
                "| {name} | {} | {} |",
                Spread::of(ours).describe(rounds - ours.len(), "not seen"),
                Spread::of(theirs).describe(rounds - theirs.len(), "not seen"),
            );
        }
    };
    parts("where the sign-in's time goes", &SIGN_IN_PARTS, |t| &t.sign_in);
    parts("where the warm reload's time goes", &RELOAD_PARTS, |t| &t.reload);
}

/// From `from` (a click, a page's start) in `log`: until the WebSocket is made, until its open
/// event, and from there until the REGISTER is sent.
fn connection_parts(log: &Log, from: f64) -> [Option<f64>; 3] {
    let made = Log::first_after(&log.sockets, from);
    let opened = made.and_then(|m| Log::first_after(&log.opened, m));
    let register = opened.and_then(|o| log.sent_after(o, |p| p.is_request("REGISTER")));
    [made.map(|m| m - from), opened.zip(made).map(|(o, m)| o - m), register.zip(opened).map(|(r, o)| r.at - o)]
}

/// One round of every step on `pair`.
async fn round(pair: &Pair, timings: &mut Timings) {
    pair.sign_in_again().await;
    let signed_in = log(pair.caller()).await;
    let click = signed_in.click("Sign in");
    let register = click.and_then(|c| signed_in.sent_after(c, |p| p.is_request("REGISTER")));
    let [made, opened, sent] = click.map_or([None; 3], |c| connection_parts(&signed_in, c));
    let challenge = register.and_then(|r| {
        signed_in
            .received_after(r.at, |p| p.method == "REGISTER" && (p.is_response(401..=401) || p.is_response(407..=407)))
    });
    let answered = challenge.and_then(|c| signed_in.sent_after(c.at, |p| p.is_request("REGISTER")));
    let accepted =
        register.and_then(|r| signed_in.received_after(r.at, |p| p.method == "REGISTER" && p.is_response(200..=299)));
    let shown = click.and_then(|c| signed_in.registered.iter().copied().find(|&at| at >= c));
    let parts = [
        signed_in.last_click("Sign in").map(|c| c.dispatched - c.at),
        made,
        opened,
        sent,
        challenge.zip(register).map(|(c, r)| c.at - r.at),
        answered.zip(challenge).map(|(a, c)| a.at - c.at),
        accepted.zip(answered).map(|(ok, a)| ok.at - a.at),
        shown.zip(accepted).map(|(s, ok)| s - ok.at),
    ];
    for (part, value) in timings.sign_in.iter_mut().zip(parts) {
        part.extend(value);
    }
    let mut record = |step: usize, value: Option<f64>| match value {
        Some(value) => timings.steps[step].push(value),
        None => eprintln!("  {}: not seen", STEPS[step].0),
    };
    record(0, register.zip(click).map(|(r, c)| r.at - c));
    record(1, accepted.zip(register).map(|(a, r)| a.at - r.at));
    record(2, shown.zip(click).map(|(s, c)| s - c));
    tokio::time::sleep(PAUSE).await;

    // A call turned down while it rings.
    forget(pair.caller()).await;
    forget(pair.callee()).await;
    Pair::click(pair.caller(), "Call").await;
    pair.rings().await;
    let invite = recorded(pair.caller(), "Call", "invite", LIMIT).await;
    record(3, invite.as_ref().map(|i| i.at - i.click));
    let ringing = match &invite {
        Some(invite) => {
            let sent = invite.at;
            wait_in_log(pair.caller(), LIMIT, |log| {
                log.received_after(sent, is_invite_response(180..=180)).map(|p| p.at)
            })
            .await
            .map(|at| at - sent)
        }
        None => None,
    };
    record(4, ringing);
    Pair::click(pair.callee(), "Decline").await;
    let declined = log(pair.callee()).await.click("Decline");
    let refused = match declined {
        Some(click) => wait_in_log(pair.caller(), LIMIT, |log| {
            log.received_after(click, is_invite_response(300..=699)).map(|p| p.at)
        })
        .await
        .map(|at| at - click),
        None => None,
    };
    if refused.is_none() {
        let (caller, callee) = (log(pair.caller()).await, log(pair.callee()).await);
        eprintln!(
            "  caller received {:?}, errors {:?}",
            caller.received.iter().map(|p| &p.line).collect::<Vec<_>>(),
            caller.errors
        );
        eprintln!(
            "  callee sent {:?}, errors {:?}",
            callee.sent.iter().map(|p| &p.line).collect::<Vec<_>>(),
            callee.errors
        );
    }
    record(6, refused);
    pair.idle().await;
    tokio::time::sleep(PAUSE).await;

    // A call answered, held, resumed and hung up.
    Pair::click(pair.caller(), "Call").await;
    pair.rings().await;
    Pair::click(pair.callee(), "Answer").await;
    let audio = recorded(pair.callee(), "Answer", "audio", LIMIT).await;
    record(5, audio.map(|a| a.at - a.click));
    pair.caller_shows("Connected").await;
    tokio::time::sleep(PAUSE).await;
    record(7, after_click(pair.caller(), "Hold", |p| p.is_request("INVITE")).await);
    wait_for_button(pair.caller(), "Resume").await;
    tokio::time::sleep(PAUSE).await;
    Pair::click(pair.caller(), "Resume").await;
    wait_for_button(pair.caller(), "Hold").await;
    tokio::time::sleep(PAUSE).await;
    record(8, after_click(pair.caller(), "Hang up", |p| p.is_request("BYE")).await);
    pair.idle().await;
    tokio::time::sleep(PAUSE).await;

    // The page opened again, as Salesforce Classic does at every record.
    pair.reload().await;
    let reloaded = log(pair.caller()).await;
    record(9, reloaded.registered.first().map(|at| at - reloaded.start));
    let marked = START_MARKS.map(|name| reloaded.marks.iter().find(|m| m.name == name).map(|m| m.at - reloaded.start));
    let [made, opened, sent] = connection_parts(&reloaded, reloaded.start);
    let register = reloaded.sent_after(reloaded.start, |p| p.is_request("REGISTER"));
    let shown = register.and_then(|r| reloaded.registered.first().map(|at| at - r.at));
    let parts = marked.into_iter().chain([made, opened, sent, shown]);
    for (part, value) in timings.reload.iter_mut().zip(parts) {
        part.extend(value);
    }
    tokio::time::sleep(PAUSE).await;
}

/// Clicks `name` on `client` and returns how long until a message that `matches` was sent.
async fn after_click(client: &Client, name: &str, matches: impl Fn(&Packet) -> bool) -> Option<f64> {
    forget(client).await;
    Pair::click(client, name).await;
    wait_in_log(client, LIMIT, |log: &Log| {
        let click = log.click(name)?;
        log.sent_after(click, &matches).map(|p| p.at - click)
    })
    .await
}

/// A response with a status in `statuses` to an INVITE.
fn is_invite_response(statuses: std::ops::RangeInclusive<u16>) -> impl Fn(&Packet) -> bool {
    move |p| p.method == "INVITE" && p.is_response(statuses.clone())
}

async fn wait_for_button(client: &Client, name: &str) {
    e2e::wait_for_role(client, "button", name, e2e::PATIENCE)
        .await
        .unwrap_or_else(|e| panic!("the {name} button: {e}"));
}
