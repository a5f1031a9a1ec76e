//! One phone per agent across CRM tabs and the pop-out: one registration in Kamailio whatever
//! the number of windows, one place that rings, every window showing the calls and taking
//! commands; the pop-out keeps calls through the CRM page's reloads, and the CRM page takes
//! the phone back when the pop-out closes; with the phone popped out, the CRM page still pops
//! callers' records and every call is logged. Messages from other origins are ignored.
//! Needs the Kamailio lab (`$LAB_WS_PORT`, `$LAB_DIR` for its control socket); agents 1061–1073 and 1077.

use std::time::{Duration, Instant};

use e2e::{
    Browser, PATIENCE, audio_packets, by_role, devserver, enter_widget, eventually, sign_in, signed_in_browser,
    sounds_playing, wait_for_role, wait_for_sounds, wait_for_status,
};
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, Locator};
use framephone::command::Command;
use framephone::sync::envelope::{Body, Envelope};
use framephone::sync::message::{Message, PeerId, Place};

/// The contact addresses Kamailio holds for `user`.
fn contacts(user: &str) -> Vec<String> {
    let lab = std::env::var("LAB_DIR").unwrap_or_else(|_| "/tmp/framephone-lab".into());
    let output = std::process::Command::new("kamcmd")
        .args(["-s", &format!("unix:{lab}/kamailio_ctl"), "ul.lookup", "location", &format!("s:{user}")])
        .output()
        .expect("run kamcmd");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines().filter_map(|line| line.trim().strip_prefix("Address:")).map(|a| a.trim().to_owned()).collect()
}

/// How many contacts Kamailio holds for `user`.
fn bindings(user: &str) -> usize {
    contacts(user).len()
}

/// Waits until Kamailio holds exactly `expected` contacts for `user`.
async fn bindings_become(user: &str, expected: usize) {
    eventually(&format!("{expected} binding(s) of {user}"), || async { (bindings(user) == expected).then_some(()) })
        .await;
}

/// The text of the line that says which window has the phone, as a screen reader reads it
/// (where the phone simply is here, the words are for assistive technology only).
async fn phone_home(client: &Client) -> String {
    let group = by_role(client, "group", "Phone window").await.ok();
    match group {
        Some(group) => group.prop("textContent").await.ok().flatten().unwrap_or_default(),
        None => String::new(),
    }
}

/// Waits until the window says `expected` of where the phone is.
async fn home_says(client: &Client, expected: &str) {
    eventually(&format!("the phone window line to say {expected:?}"), || async {
        phone_home(client).await.contains(expected).then_some(())
    })
    .await;
}

/// Audio packets shown for the call in this window: (sent, received).
async fn call_packets(client: &Client) -> (u64, u64) {
    e2e::call_text(client).await.map_or((0, 0), |text| audio_packets(&text))
}

/// A ServiceNow page in a new tab of the agent's browser, inside the widget's frame.
async fn open_servicenow_tab(client: &Client, url: &str) -> WindowHandle {
    let tab = client.new_window(true).await.expect("a new tab").handle;
    client.switch_to_window(tab.clone()).await.unwrap();
    client.goto(url).await.unwrap();
    enter_widget(client, "#openframe").await;
    tab
}

#[tokio::test]
async fn two_crm_tabs_share_one_registration_ring_in_one_place_and_answer_from_either() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    let servicenow = format!("{}/", server.servicenow);
    e2e::record_page_errors(client).await;
    client.goto(&servicenow).await.unwrap();
    let first = client.window().await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1061").await;
    home_says(client, "The phone is in this window.").await;
    let second = open_servicenow_tab(client, &servicenow).await;
    home_says(client, "The phone is in another CRM tab.").await;
    wait_for_status(client, "Registered as 1061").await;
    // Each window runs for a while side by side: still one registration.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(bindings("1061"), 1, "one registration for two tabs");

    let caller = signed_in_browser(&server.widget, "1062").await;
    by_role(&caller.client, "textbox", "Number").await.unwrap().send_keys("1061\u{e007}").await.unwrap();
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the mirror shows the call");
    assert!(sounds_playing(client).await.is_empty(), "the mirror stays silent");
    client.switch_to_window(first.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the owner shows the call");
    wait_for_sounds(client, &["ringtone"]).await;

    // Answered in the tab that does not hold the phone.
    client.switch_to_window(second.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    eventually("audio both ways, shown in the mirror", || async {
        let (sent, received) = call_packets(client).await;
        (sent >= 25 && received >= 25).then_some(())
    })
    .await;
    client.switch_to_window(first).await.unwrap();
    enter_widget(client, "#openframe").await;
    assert!(sounds_playing(client).await.is_empty(), "the ringtone stopped");
    let (_, caller_received) = call_packets(&caller.client).await;
    assert!(caller_received > 0, "the caller hears the agent");
    assert_eq!(bindings("1061"), 1);
    caller.close().await;
    agent.close().await;
}

/// From now on the page's call notes the longest time its received audio packets stood still
/// (read by [`longest_audio_gap`]).
async fn watch_audio_gaps(client: &Client) {
    // Every open connection counts, each against its own count: a call taken over arrives on a
    // new one, whose count starts again from zero.
    let script = "window.__gap = { counts: new Map(), since: performance.now(), longest: 0 };
        setInterval(() => {
          const open = (window.__peerConnections || [])
            .filter(pc => pc.connectionState !== 'closed' && pc.remoteDescription);
          for (const pc of open) {
            pc.getStats().then(report => {
              report.forEach(s => {
                if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
                const now = performance.now();
                if (s.packetsReceived > (window.__gap.counts.get(pc) || 0)) {
                  window.__gap.counts.set(pc, s.packetsReceived);
                  window.__gap.since = now;
                }
                window.__gap.longest = Math.max(window.__gap.longest, now - window.__gap.since);
              });
            });
          }
        }, 50);";
    client.execute(script, vec![]).await.expect("watch the received audio");
}

async fn longest_audio_gap(client: &Client) -> f64 {
    let value = client.execute("return window.__gap.longest", vec![]).await.expect("read the gap");
    value.as_f64().unwrap_or(f64::MAX)
}

/// The window other than `than` that appears in the browser.
async fn other_window(client: &Client, than: &WindowHandle) -> WindowHandle {
    eventually("the pop-out window to open", || async {
        let windows = client.windows().await.ok()?;
        windows.into_iter().find(|w| w != than)
    })
    .await
}

#[tokio::test]
async fn the_pop_out_keeps_the_call_through_crm_reloads_and_gives_the_phone_back_when_closed() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    let servicenow = format!("{}/", server.servicenow);
    client.goto(&servicenow).await.unwrap();
    let crm = client.window().await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1063").await;
    let pop_out_button = by_role(client, "button", "Pop out").await.expect("Pop out in the CRM page");
    let clicked = Instant::now();
    pop_out_button.click().await.unwrap();
    let pop_out = other_window(client, &crm).await;
    client.switch_to_window(pop_out.clone()).await.unwrap();
    wait_for_status(client, "Registered as 1063").await;
    eprintln!("pop-out click → the pop-out registered: {:?}", clicked.elapsed());
    home_says(client, "The phone is in this window, the pop-out.").await;
    bindings_become("1063", 1).await;
    client.switch_to_window(crm.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    home_says(client, "The phone is in the pop-out window.").await;
    assert!(by_role(client, "button", "Pop out").await.is_err(), "no second pop-out");

    let caller = e2e::signed_in_browser_watching_audio(&server.widget, "1064").await;
    calls(&caller, "1063").await;
    // Answered from the CRM page, which only shows the phone.
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the CRM page shows the call");
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    e2e::hears(&caller.client, "the caller").await;
    watch_audio_gaps(&caller.client).await;

    // The CRM page reloads: the call goes on in the pop-out, and the new frame shows it.
    client.enter_parent_frame().await.ok();
    let reloaded = Instant::now();
    client.refresh().await.unwrap();
    enter_widget(client, "#openframe").await;
    e2e::wait_for_call_region(client, PATIENCE).await.expect("the reloaded frame shows the call");
    eprintln!("CRM reload → the call shown in the new frame: {:?}", reloaded.elapsed());
    home_says(client, "The phone is in the pop-out window.").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let gap = longest_audio_gap(&caller.client).await;
    eprintln!("longest stretch without audio at the caller: {gap:.0} ms");
    assert!(gap < 1_000.0, "the caller's audio stood still for {gap} ms");
    e2e::hears(&caller.client, "the caller after the reload").await;
    assert_eq!(bindings("1063"), 1);

    // Hung up from the reloaded frame; then the pop-out closes and the CRM page takes the phone.
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the call to end in the CRM page", || async { e2e::call_region(client).await.is_err().then_some(()) })
        .await;
    let pop_out_contact = contacts("1063");
    client.switch_to_window(pop_out).await.unwrap();
    client.close_window().await.unwrap();
    let closed = Instant::now();
    let took = eventually("the CRM page to register in place of the pop-out", || async {
        let now = contacts("1063");
        (now.len() == 1 && now != pop_out_contact).then(|| closed.elapsed())
    })
    .await;
    eprintln!("pop-out closed → the CRM page registered: {took:?}");
    assert!(took < Duration::from_secs(2), "registration restored after {took:?}");
    client.switch_to_window(crm).await.unwrap();
    enter_widget(client, "#openframe").await;
    home_says(client, "The phone is in this window.").await;
    wait_for_status(client, "Registered as 1063").await;
    caller.close().await;
    agent.close().await;
}

/// The colleague calls `number`.
async fn calls(colleague: &Browser, number: &str) {
    let dial_pad = by_role(&colleague.client, "textbox", "Number").await.unwrap();
    dial_pad.send_keys(&format!("{number}\u{e007}")).await.unwrap();
}

#[tokio::test]
async fn pop_out_and_pop_in_during_a_call_move_the_call_with_its_mute_and_audio_never_stops() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    let crm = client.window().await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1065").await;
    let frame_contact = contacts("1065");
    let caller = e2e::signed_in_browser_watching_audio(&server.widget, "1066").await;
    calls(&caller, "1065").await;
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the call rings");
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    e2e::hears(&caller.client, "the caller").await;
    by_role(client, "button", "Mute").await.unwrap().click().await.unwrap();
    by_role(client, "button", "Unmute").await.expect("muted in the CRM page");
    watch_audio_gaps(&caller.client).await;

    let clicked = Instant::now();
    by_role(client, "button", "Pop out").await.unwrap().click().await.unwrap();
    let pop_out = other_window(client, &crm).await;
    client.switch_to_window(pop_out.clone()).await.unwrap();
    home_says(client, "The phone is in this window, the pop-out.").await;
    e2e::wait_for_call_region(client, PATIENCE).await.expect("the call in the pop-out");
    eprintln!("pop-out click → the pop-out owns the call: {:?}", clicked.elapsed());
    by_role(client, "button", "Unmute").await.expect("still muted in the pop-out");
    eventually("the pop-out's registration in place of the frame's", || async {
        let now = contacts("1065");
        (now.len() == 1 && now != frame_contact).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let gap = longest_audio_gap(&caller.client).await;
    eprintln!("longest stretch without audio at the caller during the move: {gap:.0} ms");
    assert!(gap < 1_000.0, "the caller's audio stood still for {gap} ms");
    assert!(by_role(&caller.client, "alertdialog", "Incoming call").await.is_err(), "nothing rang at the caller");
    let mut hang_ups = 0;
    for button in e2e::all_by_role(&caller.client, "button").await.unwrap_or_default() {
        hang_ups += usize::from(button.text().await.unwrap_or_default() == "Hang up");
    }
    assert_eq!(hang_ups, 1, "the caller has one call, the old one replaced");

    // The pop-out's call carries the audio: unmuted, the caller hears the agent again.
    by_role(client, "button", "Unmute").await.unwrap().click().await.unwrap();
    e2e::hears(&caller.client, "the caller, from the pop-out").await;
    client.switch_to_window(crm.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    home_says(client, "The phone is in the pop-out window.").await;
    e2e::wait_for_call_region(client, PATIENCE).await.expect("the CRM page shows the moved call");

    // Pop in during the call: the call moves back into the CRM page, and the pop-out closes.
    let pop_out_contact = contacts("1065");
    watch_audio_gaps(&caller.client).await;
    let clicked = Instant::now();
    by_role(client, "button", "Pop in").await.unwrap().click().await.unwrap();
    home_says(client, "The phone is in this window.").await;
    eprintln!("Pop in click during a call → the CRM page owns the phone: {:?}", clicked.elapsed());
    eventually("the pop-out to close", || async { (client.windows().await.ok()?.len() == 1).then_some(()) }).await;
    eventually("the CRM page's registration in place of the pop-out's", || async {
        let now = contacts("1065");
        (now.len() == 1 && now != pop_out_contact).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let gap = longest_audio_gap(&caller.client).await;
    eprintln!("longest stretch without audio at the caller during the move back: {gap:.0} ms");
    assert!(gap < 1_000.0, "the caller's audio stood still for {gap} ms");
    e2e::hears(&caller.client, "the caller, from the CRM page again").await;
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the caller's call to end", || async { e2e::call_region(&caller.client).await.is_err().then_some(()) })
        .await;
    wait_for_role(client, "region", "Wrap-up: 1066", PATIENCE).await.expect("one wrap-up, for the call as a whole");
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn salesforce_classic_navigation_during_a_popped_out_call_keeps_the_call_and_shows_it_again() {
    let server = devserver().await;
    // As on a real org, where the page's origin says Classic: the loopback origin says
    // nothing, and probing it for Lightning would take its own time at each page.
    server.amend_config(serde_json::json!({ "hosts": { "salesforceMode": "classic" } }));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/classic?record=003Dn00000LenaPark", server.salesforce)).await.unwrap();
    let crm = client.window().await.unwrap();
    let enter_softphone = || async {
        client.enter_parent_frame().await.ok();
        let frame = client.find(Locator::Css("#softphone")).await.expect("the softphone frame");
        frame.enter_frame().await.expect("enter the softphone frame");
    };
    enter_softphone().await;
    sign_in(client, "1067").await;
    by_role(client, "button", "Pop out").await.unwrap().click().await.unwrap();
    home_says(client, "The phone is in the pop-out window.").await;
    let caller = e2e::signed_in_browser_watching_audio(&server.widget, "1068").await;
    calls(&caller, "1067").await;
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the softphone shows the call");
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    e2e::hears(&caller.client, "the caller").await;
    watch_audio_gaps(&caller.client).await;

    // Another record: Classic loads a new page, and a new softphone with it.
    client.enter_parent_frame().await.ok();
    let record = client.find(Locator::Css("a[data-record-id='001Dn00000GlobexAc']")).await.unwrap();
    let navigated = Instant::now();
    record.click().await.unwrap();
    eventually("the new page", || async {
        client.current_url().await.ok()?.as_str().contains("GlobexAc").then_some(())
    })
    .await;
    enter_softphone().await;
    e2e::wait_for_call_region(client, PATIENCE).await.expect("the new softphone shows the call");
    let shown = navigated.elapsed();
    eprintln!("Classic navigation → the call shown in the new softphone: {shown:?}");
    home_says(client, "The phone is in the pop-out window.").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let gap = longest_audio_gap(&caller.client).await;
    eprintln!("longest stretch without audio at the caller: {gap:.0} ms");
    assert!(gap < 1_000.0, "the caller's audio stood still for {gap} ms");
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
    eventually("the caller's call to end", || async { e2e::call_region(&caller.client).await.is_err().then_some(()) })
        .await;
    assert_eq!(client.windows().await.unwrap().len(), 2, "the page and the pop-out, no stray window");
    let _ = crm;
    caller.close().await;
    agent.close().await;
}

#[tokio::test]
async fn messages_from_other_origins_cannot_take_or_drive_the_phone() {
    let server = devserver().await;
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/", server.servicenow)).await.unwrap();
    enter_widget(client, "#openframe").await;
    sign_in(client, "1069").await;
    home_says(client, "The phone is in this window.").await;
    let registered = contacts("1069");
    assert_eq!(registered.len(), 1);
    // The host page (another origin) speaks as a pop-out that owns the phone, releases it,
    // and asks it to dial; then as a window of the phone's own origin would, by every route.
    // Well-formed envelopes, so that they are refused for where they come from.
    client.enter_parent_frame().await.unwrap();
    let forger = PeerId::parse("f0").unwrap();
    let (peer, place, epoch) = (forger.clone(), Place::PopOut, 99);
    let forged = [
        Body::Ownership(Message::Owner { peer, place, epoch }),
        Body::Ownership(Message::Claim { peer: forger.clone(), place, epoch }),
        Body::Command(Command::Dial("1070".into())),
        Body::SignIn { username: "1070".into(), password: "x".into(), remember: false },
        Body::KeptSignIn(None),
    ];
    for (seq, body) in (1..).zip(forged) {
        let bytes = Envelope { from: forger.clone(), seq, body }.to_bytes();
        let script = "const bytes = new Uint8Array(arguments[0]);
                      const widget = document.querySelector('#openframe').contentWindow;
                      widget.postMessage(bytes, '*');
                      window.postMessage(bytes, '*');";
        client.execute(script, vec![serde_json::json!(bytes)]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    enter_widget(client, "#openframe").await;
    assert!(phone_home(client).await.contains("The phone is in this window."), "{}", phone_home(client).await);
    assert!(e2e::call_region(client).await.is_err(), "nothing was dialled");
    wait_for_status(client, "Registered as 1069").await;
    assert_eq!(contacts("1069"), registered, "the same registration");
    agent.close().await;
}

#[tokio::test]
async fn with_the_phone_popped_out_the_crm_page_pops_callers_and_logs_every_call() {
    let server = devserver().await;
    let org = server.salesforce_org();
    org.add_record(serde_json::json!({"Id": "003Dn00000RosaQuin", "objectType": "Contact", "Name": "Rosa Quint",
        "idField": "contactId", "fields": [["Phone", "1072", "phone"]]}));
    org.add_record(serde_json::json!({"Id": "003Dn00000TeoVarga", "objectType": "Contact", "Name": "Teo Varga",
        "idField": "contactId", "fields": [["Phone", "1073", "phone"]]}));
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&format!("{}/lightning", server.salesforce)).await.unwrap();
    let crm = client.window().await.unwrap();
    enter_widget(client, "#softphone").await;
    sign_in(client, "1071").await;
    by_role(client, "button", "Pop out").await.unwrap().click().await.unwrap();
    home_says(client, "The phone is in the pop-out window.").await;
    let pop_out = other_window(client, &crm).await;

    // A caller: the CRM page pops the caller's Contact while the pop-out rings.
    let caller = e2e::signed_in_browser_watching_audio(&server.widget, "1072").await;
    calls(&caller, "1071").await;
    eventually("the caller's Contact to pop in the CRM page", || async {
        org.screen_pops().iter().any(|pop| pop["recordId"] == "003Dn00000RosaQuin").then_some(())
    })
    .await;
    client.switch_to_window(pop_out.clone()).await.unwrap();
    wait_for_role(client, "alertdialog", "Incoming call", PATIENCE).await.expect("the pop-out rings");
    by_role(client, "button", "Answer").await.unwrap().click().await.unwrap();
    e2e::hears(&caller.client, "the caller").await;
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
    e2e::wrap_up(client, "1072", "Resolved", "Asked for the spring catalogue").await;
    let task = eventually("the inbound call's Task in the org", || async {
        org.tasks().into_iter().find(|task| task["WhoId"] == "003Dn00000RosaQuin")
    })
    .await;
    assert_eq!(task["CallType"], "Inbound", "{task}");
    assert_eq!(task["Description"], "Asked for the spring catalogue", "{task}");
    caller.close().await;

    // An outbound call clicked on a Contact's number in the CRM page is placed by the pop-out
    // and logged against that Contact.
    let callee = e2e::signed_in_browser_watching_audio(&server.widget, "1073").await;
    client.switch_to_window(crm).await.unwrap();
    client.enter_parent_frame().await.ok();
    client.find(Locator::Css("a[data-record-id='003Dn00000TeoVarga']")).await.unwrap().click().await.unwrap();
    by_role(client, "link", "1073").await.expect("Teo Varga's number").click().await.unwrap();
    enter_widget(client, "#softphone").await;
    e2e::dial_pad_shows(client, "1073").await;
    by_role(client, "button", "Call").await.unwrap().click().await.unwrap();
    wait_for_role(&callee.client, "alertdialog", "Incoming call", PATIENCE).await.expect("the callee rings");
    by_role(&callee.client, "button", "Answer").await.unwrap().click().await.unwrap();
    e2e::hears(&callee.client, "the callee").await;
    by_role(client, "button", "Hang up").await.unwrap().click().await.unwrap();
    e2e::wrap_up(client, "1073", "Resolved", "Confirmed the delivery date").await;
    let task = eventually("the outbound call's Task in the org", || async {
        org.tasks().into_iter().find(|task| task["WhoId"] == "003Dn00000TeoVarga")
    })
    .await;
    assert_eq!(task["CallType"], "Outbound", "{task}");
    assert_eq!(task["Description"], "Confirmed the delivery date", "{task}");
    assert_eq!(org.tasks().len(), 2, "one Task per call: {:?}", org.tasks());
    callee.close().await;
    agent.close().await;
}

#[tokio::test]
async fn a_tab_that_loses_its_link_to_the_pop_out_starts_no_second_phone_until_asked() {
    let server = devserver().await;
    // The CRM on a site of its own, as deployed (the lab's pages and the widget otherwise share
    // 127.0.0.1): the frames' channels are partitioned under it, apart from the pop-out's.
    let servicenow = server.servicenow.replace("127.0.0.1", "localhost");
    server.amend_config(serde_json::json!({ "hosts": { "allowedOrigins": [servicenow, server.salesforce] } }));
    let servicenow = format!("{servicenow}/");
    let agent = Browser::start().await;
    let client = &agent.client;
    client.goto(&servicenow).await.unwrap();
    let opener = client.window().await.unwrap();
    enter_widget(client, "#openframe").await;
    wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form");
    sign_in(client, "1077").await;
    let other = open_servicenow_tab(client, &servicenow).await;
    home_says(client, "The phone is in another CRM tab.").await;
    client.switch_to_window(opener.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    by_role(client, "button", "Pop out").await.unwrap().click().await.unwrap();
    home_says(client, "The phone is in the pop-out window.").await;
    let pop_out = eventually("the pop-out window", || async {
        let windows = client.windows().await.ok()?;
        windows.into_iter().find(|w| *w != opener && *w != other)
    })
    .await;
    bindings_become("1077", 1).await;
    let pop_out_contact = contacts("1077");
    client.switch_to_window(other.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    home_says(client, "The phone is in the pop-out window.").await;

    // The tab that opened the pop-out closes: the other tab cannot reach the pop-out any more.
    client.switch_to_window(opener).await.unwrap();
    client.close_window().await.unwrap();
    client.switch_to_window(other.clone()).await.unwrap();
    enter_widget(client, "#openframe").await;
    home_says(client, "no longer hears from").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(contacts("1077"), pop_out_contact, "the pop-out's phone alone");

    // The agent closes the pop-out and uses the phone in this tab.
    client.switch_to_window(pop_out).await.unwrap();
    client.close_window().await.unwrap();
    client.switch_to_window(other).await.unwrap();
    enter_widget(client, "#openframe").await;
    by_role(client, "button", "Use the phone here").await.unwrap().click().await.unwrap();
    home_says(client, "The phone is in this window.").await;
    wait_for_status(client, "Registered as 1077").await;
    eventually("this tab's registration in place of the pop-out's", || async {
        let now = contacts("1077");
        (now.len() == 1 && now != pop_out_contact).then_some(())
    })
    .await;
    agent.close().await;
}
