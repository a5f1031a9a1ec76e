//! CRM benchmarks in headless Chromium against the SIP lab (`scripts/bench-crm.sh` starts it):
//! for ServiceNow and Salesforce Lightning, the time from the INVITE reaching the agent's phone
//! to the caller's record shown by the CRM page, and from the caller hanging up a missed call to
//! its log stored by the CRM; then, in ServiceNow, a backlog of missed calls logged while the
//! REST API answers 503, and how fast it drains once the API is back.
//!
//! The INVITE's arrival is the widget's User Timing mark `framephone:incoming`, the record shown
//! a MutationObserver on the CRM page's record pane, both as wall-clock times
//! (`performance.timeOrigin + now`); the hang-up is taken just before the scripted caller sends
//! its CANCEL and the log when the emulator holds it (read every 5 ms). `POPS` (default 15)
//! calls per host, `BACKLOG` (default 100) logs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use devserver::{Running, ServiceNowField, ServiceNowRecord};
use e2e::{Browser, PATIENCE, by_role, devserver, enter_widget, eventually, sign_in, wait_for_role};
use fantoccini::Client;
use serde_json::json;
use sip::agent::Event;

const AGENT: &str = "1041";
const CALLER: &str = "1042";

/// A number from the environment, else `default`.
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

fn wall_clock_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

/// Median, least and greatest, as a table cell.
fn spread(values: &[f64]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match (sorted.first(), sorted.get(sorted.len() / 2), sorted.last()) {
        (Some(min), Some(median), Some(max)) => {
            format!("{} | {median:.0} ms | {min:.0} ms | {max:.0} ms", sorted.len())
        }
        _ => "0 | – | – | –".into(),
    }
}

/// Records, in the CRM page, when the record pane shows each heading.
async fn watch_record_pane(client: &Client) {
    client.enter_parent_frame().await.ok();
    let script = "window.__shown = []; const pane = document.getElementById('record'); \
                  new MutationObserver(() => { const h = pane.querySelector('h2'); \
                    if (h) window.__shown.push([performance.timeOrigin + performance.now(), h.textContent]); }) \
                  .observe(pane, { childList: true, subtree: true });";
    client.execute(script, vec![]).await.expect("watch the record pane");
}

/// When the page first showed a heading containing `name` after `after` (wall clock, ms).
async fn shown_after(client: &Client, name: &str, after: f64) -> f64 {
    client.enter_parent_frame().await.ok();
    let script = "return (window.__shown || []).filter(([t, text]) => t >= arguments[0] && text.includes(arguments[1]))\
                  .map(([t]) => t)[0] ?? null;";
    eventually(&format!("{name} shown"), || async {
        client.execute(script, vec![after.into(), name.into()]).await.ok()?.as_f64()
    })
    .await
}

/// The wall-clock time of the widget's last `framephone:incoming` mark (an INVITE read) after
/// `after`.
async fn incoming_after(client: &Client, frame: &str, after: f64) -> f64 {
    enter_widget(client, frame).await;
    let script = "const e = performance.getEntriesByName('framephone:incoming'); \
                  const t = e.length ? performance.timeOrigin + e[e.length - 1].startTime : null; \
                  return t !== null && t >= arguments[0] ? t : null;";
    let at =
        eventually("the incoming mark", || async { client.execute(script, vec![after.into()]).await.ok()?.as_f64() })
            .await;
    client.enter_parent_frame().await.ok();
    at
}

/// The scripted caller places a call to the agent and waits for its 180.
async fn ring(caller: &mut sipshell::Phone) -> sip::agent::CallRef {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";
    let call = caller.run(move |agent, now| agent.call(now, AGENT, sdp.to_owned())).await.expect("the call leaves");
    caller
        .wait_for(Duration::from_secs(10), |event| match event {
            Event::Progress { call: c, status: 180, .. } if *c == call => Some(()),
            _ => None,
        })
        .await
        .expect("the agent's phone rings");
    call
}

/// The caller hangs up the ringing call; returns when it did (wall clock, ms) once it ended.
async fn give_up(caller: &mut sipshell::Phone, call: sip::agent::CallRef) -> f64 {
    let at = wall_clock_ms();
    caller.run(move |agent, now| agent.hang_up(now, call)).await.expect("the CANCEL leaves");
    caller
        .wait_for(Duration::from_secs(10), |event| match event {
            Event::Ended { call: c, .. } if *c == call => Some(()),
            _ => None,
        })
        .await
        .expect("the call ends");
    at
}

/// Waits, reading every 5 ms, until `count` says there are more than `before`; returns when.
async fn stored(what: &str, before: usize, count: impl Fn() -> usize) -> f64 {
    let deadline = std::time::Instant::now() + PATIENCE;
    while count() <= before {
        assert!(std::time::Instant::now() < deadline, "{what} never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    wall_clock_ms()
}

/// Signs the agent in inside ServiceNow and allows the phone on the consent popup.
async fn servicenow_agent(server: &Running) -> Browser {
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, AGENT).await;
    let main = client.window().await.unwrap();
    wait_for_role(client, "button", "Authorise", PATIENCE).await.unwrap().click().await.unwrap();
    let popup =
        eventually("the consent popup", || async { client.windows().await.ok()?.into_iter().find(|w| *w != main) })
            .await;
    client.switch_to_window(popup).await.unwrap();
    wait_for_role(client, "button", "Allow", PATIENCE).await.unwrap().click().await.unwrap();
    client.switch_to_window(main).await.unwrap();
    enter_widget(client, "#openframe").await;
    eventually("authorised", || async { by_role(client, "button", "Authorise").await.is_err().then_some(()) }).await;
    browser
}

/// `pops` missed calls: INVITE → record shown, hang-up → log stored.
async fn pops_and_logs(
    client: &Client,
    frame: &str,
    caller: &mut sipshell::Phone,
    name: &str,
    pops: usize,
    logs: impl Fn() -> usize,
) -> (Vec<f64>, Vec<f64>) {
    watch_record_pane(client).await;
    let (mut popped, mut logged) = (Vec::new(), Vec::new());
    for i in 0..pops {
        eprintln!("bench-crm: {name} calls {frame}'s agent ({} of {pops})", i + 1);
        let before = wall_clock_ms();
        let call = ring(caller).await;
        let invited = incoming_after(client, frame, before).await;
        popped.push(shown_after(client, name, invited).await - invited);
        let count = logs();
        let hung_up = give_up(caller, call).await;
        logged.push(stored("the log", count, &logs).await - hung_up);
    }
    (popped, logged)
}

#[tokio::main]
async fn main() {
    let pops = setting("POPS", 15);
    let backlog = setting("BACKLOG", 100);
    let server = devserver().await;
    let mut caller = e2e::sip_caller(CALLER, "Bench Caller").await;

    let instance = server.servicenow_instance();
    instance.add_record(ServiceNowRecord {
        table: "customer_contact".into(),
        sys_id: "c0a7ac70000000000000000000001042".into(),
        label: "Contact Maya Lindqvist".into(),
        title: "Maya Lindqvist".into(),
        contact_name: "Maya Lindqvist".into(),
        fields: vec![
            ServiceNowField::text("name", "Name", "Maya Lindqvist"),
            ServiceNowField::phone("phone", "Business phone", CALLER),
        ],
    });
    let agent = servicenow_agent(&server).await;
    let logs = || instance.phone_logs().len();
    let (sn_pops, sn_logs) =
        pops_and_logs(&agent.client, "#openframe", &mut caller, "Maya Lindqvist", pops, logs).await;

    // The backlog: missed calls while the REST API answers 503, then the API back.
    eprintln!("bench-crm: screen pops and logs in ServiceNow measured; {backlog} missed calls during an outage");
    instance.rest_unavailable_for(Duration::from_secs(3600));
    let before = logs();
    for _ in 0..backlog {
        let call = ring(&mut caller).await;
        give_up(&mut caller, call).await;
    }
    // The last logs are written and tried once (the count shown as waiting leaves out those
    // already shown as failed, so it is not what to wait for).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(logs(), before, "nothing stored during the outage");
    eprintln!("bench-crm: the REST API is back");
    instance.rest_unavailable_for(Duration::ZERO);
    let back = wall_clock_ms();
    let deadline = std::time::Instant::now() + Duration::from_secs(900);
    let mut first = None;
    let mut report = std::time::Instant::now();
    while logs() < before + backlog {
        assert!(std::time::Instant::now() < deadline, "the backlog did not drain in 15 minutes");
        if report.elapsed() > Duration::from_secs(10) {
            report = std::time::Instant::now();
            eprintln!("bench-crm: {} of {backlog} logs stored so far", logs() - before);
        }
        if first.is_none() && logs() > before {
            first = Some(wall_clock_ms());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let last = wall_clock_ms();
    let first = first.unwrap_or(last);
    let rows = instance.phone_logs();
    let mut ids: Vec<_> = rows.iter().filter_map(|row| row["call_id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows.len(), "every log stored once");
    agent.close().await;

    // Salesforce Lightning.
    let org = server.salesforce_org();
    org.add_record(json!({"Id": "003Dn00000MayaLind", "objectType": "Contact", "Name": "Maya Lindqvist",
        "idField": "contactId", "fields": [["Phone", CALLER, "phone"]]}));
    let lightning = Browser::start().await;
    lightning.client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    enter_widget(&lightning.client, "#softphone").await;
    sign_in(&lightning.client, AGENT).await;
    let tasks = || org.tasks().len();
    let (sf_pops, sf_logs) =
        pops_and_logs(&lightning.client, "#softphone", &mut caller, "Maya Lindqvist", pops, tasks).await;
    lightning.close().await;

    println!("| measure | runs | median | min | max |");
    println!("|---|---|---|---|---|");
    println!(
        "| ServiceNow: INVITE at the phone → the caller's record shown (REST search, openServiceNowForm) | {} |",
        spread(&sn_pops)
    );
    println!("| ServiceNow: caller hangs up a missed call → its phone-log row stored | {} |", spread(&sn_logs));
    println!(
        "| Lightning: INVITE at the phone → the caller's record shown (searchAndScreenPop, screenPop) | {} |",
        spread(&sf_pops)
    );
    println!("| Lightning: caller hangs up a missed call → its Task stored | {} |", spread(&sf_logs));
    println!();
    println!(
        "ServiceNow backlog of {backlog} logs after a 503 outage: first stored {:.1} s after the API came back, \
         all {backlog} {:.1} s after the first ({:.1} logs/s), each once.",
        (first - back) / 1000.0,
        (last - first) / 1000.0,
        backlog as f64 / ((last - first).max(1.0) / 1000.0)
    );
}
