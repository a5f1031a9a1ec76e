//! The session's life when things go wrong: a wrong password leaves the form filled in and the
//! page quiet, then the right one signs in; a SIP server that cannot be reached leaves the agent
//! Offline (never Ready, no calls) and able to sign out; a blocked microphone makes the agent
//! Not Ready, so that no call is offered that could not be answered, until the microphone is
//! allowed.
//!
//! Each test notes every way the page departs from the expected behaviour at each step and
//! fails with the whole list, so that one run shows everything that is still missing.

use std::time::{Duration, Instant};

use e2e::{
    Browser, PATIENCE, PermissionState, all_by_role, by_role, check_page_error_recorder, devserver, page_errors,
    record_page_errors, set_permission, signed_in_browser, submit_sign_in, wait_for_role, wait_for_status,
};
use fantoccini::Client;
use fantoccini::elements::Element;
use serde_json::json;

/// What a test found wrong so far.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    /// Notes `what` unless `ok`.
    fn expect(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            let what = what.into();
            eprintln!("finding: {what}");
            self.0.push(what);
        }
    }

    /// Fails the test with everything found, if anything was.
    fn finish(self, test: &str) {
        assert!(self.0.is_empty(), "{test}: {} finding(s):\n- {}", self.0.len(), self.0.join("\n- "));
    }
}

/// The text of every `alert` on the page.
async fn alert_texts(client: &Client) -> Vec<String> {
    let mut texts = Vec::new();
    for alert in all_by_role(client, "alert").await.unwrap_or_default() {
        if let Ok(text) = alert.text().await {
            texts.push(text);
        }
    }
    texts
}

/// The `status` region's text.
async fn status_text(client: &Client) -> String {
    match by_role(client, "status", "").await {
        Ok(status) => status.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The text of the option a combobox (a `select`) shows as chosen, as a screen reader reads its
/// value.
async fn selected_option(client: &Client, combobox: &Element) -> Option<String> {
    let script = "const s = arguments[0]; return s.selectedIndex < 0 ? null : s.options[s.selectedIndex].text;";
    let element = serde_json::to_value(combobox).expect("an element as a script argument");
    client.execute(script, vec![element]).await.ok()?.as_str().map(|t| t.trim().to_owned())
}

/// The Status combobox's chosen option, or why there is none.
async fn agent_status(client: &Client) -> Result<String, String> {
    let combobox = by_role(client, "combobox", "Status").await?;
    selected_option(client, &combobox).await.ok_or_else(|| "the Status combobox shows no option".to_owned())
}

/// Chooses the option labelled `label` in the Status combobox, as the agent would.
async fn choose_status(client: &Client, label: &str) -> Result<(), String> {
    let combobox = by_role(client, "combobox", "Status").await?;
    combobox.select_by_label(label).await.map_err(|e| format!("no option {label:?} to choose: {e}"))
}

/// Waits up to `timeout` for `probe` to give `Ok`; the last `Err` says what was there instead.
async fn within<T, F, Fut>(timeout: Duration, mut probe: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return Ok(value),
            Err(seen) if Instant::now() >= deadline => return Err(seen),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// An alert containing `text` appears within [`PATIENCE`]; the alerts seen otherwise.
async fn alert_with(client: &Client, text: &str) -> Result<String, String> {
    within(PATIENCE, || async {
        let alerts = alert_texts(client).await;
        alerts.iter().find(|a| a.contains(text)).cloned().ok_or_else(|| format!("alerts: {alerts:?}"))
    })
    .await
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}

/// A browser on the widget's pop-out view whose page errors are recorded, the recorder proven.
async fn recorded_browser(widget: &str, browser: Browser) -> Browser {
    record_page_errors(&browser.client).await;
    browser.client.goto(&format!("{widget}/")).await.expect("open the pop-out view");
    wait_for_role(&browser.client, "textbox", "Username", PATIENCE).await.expect("the sign-in form");
    check_page_error_recorder(&browser.client).await;
    browser
}

#[tokio::test]
async fn a_wrong_password_keeps_the_form_and_the_page_quiet_then_the_right_one_signs_in() {
    let server = devserver().await;
    let browser = recorded_browser(&server.widget, Browser::start().await).await;
    let client = &browser.client;
    let mut findings = Findings::default();

    by_role(client, "textbox", "Username").await.unwrap().send_keys("1001").await.unwrap();
    by_role(client, "textbox", "Password").await.unwrap().send_keys("lab-1001-pw-wrong").await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    // Kamailio answers a wrong digest with the same nonce (BadCredentials), or with a fresh one
    // when its nonce clock has moved on meanwhile (KeepsChallenging): either is a refusal.
    let reasons =
        ["the username or password is wrong", "the server keeps refusing these credentials (check the password)"];
    let wanted: Vec<String> = reasons.iter().map(|reason| format!("Sign-in failed: {reason}.")).collect();
    let alert = within(PATIENCE, || async {
        let alerts = alert_texts(client).await;
        alerts
            .iter()
            .any(|a| wanted.iter().any(|w| a.trim() == w))
            .then_some(())
            .ok_or_else(|| format!("alerts: {alerts:?}"))
    })
    .await;
    findings.expect(
        alert.is_ok(),
        format!("the form's alert reads one of {wanted:?}; {}", alert.err().unwrap_or_default()),
    );

    let username = by_role(client, "textbox", "Username").await;
    let username = match &username {
        Ok(username) => username.prop("value").await.ok().flatten(),
        Err(error) => Some(error.clone()),
    };
    findings.expect(username.as_deref() == Some("1001"), format!("the Username box holds 1001, not {username:?}"));
    let password = match by_role(client, "textbox", "Password").await {
        Ok(password) => password.prop("value").await.ok().flatten(),
        Err(error) => Some(error),
    };
    findings.expect(password.as_deref() == Some(""), format!("the Password box is empty, not {password:?}"));
    findings.expect(
        by_role(client, "button", "Sign out").await.is_err(),
        "no Sign out button after a refused sign-in (nobody is signed in)",
    );
    let status = agent_status(client).await;
    findings.expect(status.is_err(), format!("no Status combobox after a refused sign-in, but it shows {status:?}"));
    let text = status_text(client).await;
    findings.expect(
        reasons.iter().any(|reason| text.starts_with(&format!("Offline: {reason}"))),
        format!("the status starts with \"Offline: \" and one of {reasons:?}: {text:?}"),
    );

    // The refused phone is gone for good: nothing of it runs on in the page.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let errors = page_errors(client).await;
    let dropped = errors.iter().filter(|e| e.contains("closure invoked recursively or after being dropped")).count();
    findings.expect(
        errors.is_empty(),
        format!(
            "no page error in the 20 s after the refused sign-in; {} error(s), {dropped} of them a dropped closure \
             called: {:?}",
            errors.len(),
            errors.iter().take(5).collect::<Vec<_>>()
        ),
    );

    // The right password signs in from the same form.
    let password = by_role(client, "textbox", "Password").await.expect("the Password box");
    password.clear().await.unwrap();
    password.send_keys("lab-1001-pw").await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    wait_for_status(client, "Registered as 1001").await;
    findings.finish("after a wrong password");
    browser.close().await;
}

#[tokio::test]
async fn an_unreachable_sip_server_leaves_the_agent_offline_and_free_to_sign_out() {
    let server = devserver().await;
    // Arrays replace arrays when the configuration is amended: this is the only server.
    server.amend_config(json!({ "sip": { "servers": [format!("ws://127.0.0.1:{}", closed_port())] } }));
    let browser = recorded_browser(&server.widget, Browser::start().await).await;
    let client = &browser.client;
    let mut findings = Findings::default();

    submit_sign_in(client, "1002").await;
    let mut seen = Vec::new();
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        let text = status_text(client).await;
        if !seen.contains(&text) {
            seen.push(text);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("statuses while the server cannot be reached: {seen:?}");
    findings
        .expect(!seen.iter().any(|s| s.contains("Registered")), format!("the status never says Registered: {seen:?}"));
    match agent_status(client).await {
        Ok(chosen) => {
            findings.expect(chosen == "Offline", format!("the Status combobox shows Offline, not {chosen:?}"))
        }
        Err(absent) => eprintln!("no Status combobox ({absent})"),
    }

    by_role(client, "textbox", "Number").await.expect("the Number box").send_keys("1001").await.unwrap();
    let until = Instant::now() + Duration::from_secs(2);
    let mut enabled = false;
    while Instant::now() < until && !enabled {
        let call = by_role(client, "button", "Call").await.expect("the Call button");
        enabled = call.is_enabled().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    findings.expect(!enabled, "the Call button stays disabled while the phone is offline");

    let sign_out = by_role(client, "button", "Sign out").await;
    findings.expect(sign_out.is_ok(), format!("a Sign out button: {:?}", sign_out.as_ref().err()));
    if let Ok(sign_out) = sign_out {
        sign_out.click().await.unwrap();
        let form = wait_for_role(client, "textbox", "Username", PATIENCE).await;
        findings.expect(form.is_ok(), format!("the sign-in form after Sign out: {:?}", form.err()));
        let status = within(PATIENCE, || async {
            let text = status_text(client).await;
            if text.starts_with("Phone offline") { Ok(()) } else { Err(text) }
        })
        .await;
        findings.expect(status.is_ok(), format!("the status starts with \"Phone offline\": {status:?}"));
        // Past the unregistration deadline and a few one-second clocks.
        tokio::time::sleep(Duration::from_secs(4)).await;
    }
    let errors = page_errors(client).await;
    findings.expect(errors.is_empty(), format!("no page error: {:?}", errors.iter().take(5).collect::<Vec<_>>()));
    findings.finish("with the SIP server unreachable");
    browser.close().await;
}

#[tokio::test]
async fn a_blocked_microphone_makes_the_agent_not_ready_until_it_is_allowed() {
    let server = devserver().await;
    let agent = Browser::start_with_media_permissions().await;
    let a = &agent.client;
    a.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(a, "textbox", "Username", PATIENCE).await.expect("the sign-in form");
    set_permission(a, "microphone", PermissionState::Denied).await;
    let refused = a.execute_async(
        "const done = arguments[0]; navigator.mediaDevices.getUserMedia({ audio: true })\
         .then(s => { s.getTracks().forEach(t => t.stop()); done('opened'); }, e => done(e.name));",
        vec![],
    );
    assert_eq!(refused.await.unwrap(), "NotAllowedError", "the browser refuses the microphone to the page");
    let colleague = signed_in_browser(&server.widget, "1004").await;
    let b = &colleague.client;
    let mut findings = Findings::default();

    submit_sign_in(a, "1003").await;
    wait_for_status(a, "Registered as 1003").await;
    let denied = "Microphone access was denied";
    let alert = alert_with(a, denied).await;
    findings.expect(alert.is_ok(), format!("an alert says {denied:?} after sign-in; {:?}", alert.err()));
    let unavailable = "Not Ready: Microphone unavailable";
    let status = agent_status(a).await;
    findings.expect(status.as_deref() == Ok(unavailable), format!("the Status shows {unavailable:?}: {status:?}"));

    // Ready cannot be chosen while the microphone is refused.
    let chosen = choose_status(a, "Ready").await;
    findings.expect(chosen.is_ok(), format!("Ready can be chosen: {chosen:?}"));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = agent_status(a).await;
    findings.expect(
        status.as_deref() == Ok(unavailable),
        format!("after choosing Ready with the microphone refused, the Status still shows {unavailable:?}: {status:?}"),
    );
    let alert = alert_with(a, denied).await;
    findings.expect(alert.is_ok(), format!("the alert says {denied:?} again; {:?}", alert.err()));

    // A call is not offered; the caller is told.
    by_role(b, "textbox", "Number").await.unwrap().send_keys("1003").await.unwrap();
    by_role(b, "button", "Call").await.unwrap().click().await.unwrap();
    let offered = std::cell::Cell::new(false);
    let told = within(PATIENCE, || async {
        offered.set(offered.get() || by_role(a, "alertdialog", "Incoming call").await.is_ok());
        let alerts = alert_texts(b).await;
        alerts.iter().find(|t| t.contains("1003:")).cloned().ok_or_else(|| format!("the caller's alerts: {alerts:?}"))
    })
    .await;
    offered.set(offered.get() || by_role(a, "alertdialog", "Incoming call").await.is_ok());
    findings.expect(!offered.get(), "no Incoming call is offered while the microphone is refused");
    findings.expect(told.is_ok(), format!("the caller is told (an alert with \"1003:\"); {:?}", told.as_ref().err()));
    eprintln!("the caller was told: {told:?}");
    // Whatever happened, no call is left before the next one.
    if let Ok(hang_up) = by_role(b, "button", "Hang up").await {
        hang_up.click().await.unwrap();
    }
    e2e::eventually("the caller's call to end", || async { e2e::call_region(b).await.is_err().then_some(()) }).await;

    // Allowed, the agent can be Ready, and calls ring.
    set_permission(a, "microphone", PermissionState::Granted).await;
    let chosen = choose_status(a, "Ready").await;
    findings.expect(chosen.is_ok(), format!("Ready can be chosen once the microphone is allowed: {chosen:?}"));
    let ready = within(PATIENCE, || async {
        let status = agent_status(a).await?;
        if status == "Ready" { Ok(()) } else { Err(status) }
    })
    .await;
    findings.expect(ready.is_ok(), format!("the Status shows Ready once the microphone is allowed: {ready:?}"));
    by_role(b, "button", "Call").await.unwrap().click().await.unwrap();
    let rang = wait_for_role(a, "alertdialog", "Incoming call", PATIENCE).await;
    findings.expect(rang.is_ok(), format!("a call rings once the agent is Ready: {:?}", rang.as_ref().err()));
    if rang.is_ok() {
        by_role(a, "button", "Decline").await.unwrap().click().await.unwrap();
    }
    findings.finish("with the microphone blocked");
    agent.close().await;
    colleague.close().await;
}
