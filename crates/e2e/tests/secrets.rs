//! What the browser keeps of a sign-in: never the password, in any storage the page can reach
//! (localStorage, sessionStorage, IndexedDB, cookies) and in no encoding (plain, base64, hex);
//! only the HA1 the server accepted, so that a reload signs back in; nothing after a wrong
//! password; nothing of the agent's after Sign out, which raises no page error.

use std::time::Duration;

use e2e::{Browser, PATIENCE, by_role, devserver, eventually, sign_in, submit_sign_in, wait_for_role, wait_for_status};
use fantoccini::Client;
use serde_json::Value;

/// Collects the page's uncaught errors, unhandled rejections and console errors from every
/// document the tab loads from now on, in `window.__pageErrors`.
async fn collect_page_errors(client: &Client) {
    let source = r#"
        window.__pageErrors = [];
        addEventListener('error', e => __pageErrors.push('error: ' + (e.message || e.type)));
        addEventListener('unhandledrejection', e =>
            __pageErrors.push('rejection: ' + String(e.reason && e.reason.message || e.reason)));
        const consoleError = console.error;
        console.error = (...args) => { __pageErrors.push('console: ' + args.map(String).join(' ')); consoleError.apply(console, args); };
    "#;
    e2e::devtools_result(client, "Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": source }))
        .await;
}

async fn page_errors(client: &Client) -> Vec<String> {
    let found = client.execute("return window.__pageErrors || ['the error collector is missing']", vec![]).await;
    found.expect("read the page errors").as_array().into_iter().flatten().map(|e| e.to_string()).collect()
}

/// Everything the page can store, as (where, key, value) triples: both web storages, every
/// IndexedDB database's object stores, the cookies the page sees and those WebDriver sees.
async fn stored(client: &Client) -> Vec<(String, String, String)> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const dump = s => Object.keys(s).map(k => [k, s.getItem(k)]);
        const out = { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie, idb: [] };
        (async () => {
            try {
                const open = name => new Promise((ok, fail) => {
                    const request = indexedDB.open(name);
                    request.onsuccess = () => ok(request.result);
                    request.onerror = () => fail(request.error);
                });
                for (const info of await indexedDB.databases()) {
                    const db = await open(info.name);
                    for (const store of db.objectStoreNames) {
                        const values = await new Promise((ok, fail) => {
                            const request = db.transaction(store).objectStore(store).getAll();
                            request.onsuccess = () => ok(request.result);
                            request.onerror = () => fail(request.error);
                        });
                        out.idb.push([info.name + '/' + store, JSON.stringify(values)]);
                    }
                    db.close();
                }
            } catch (e) { out.idb.push(['error', String(e)]); }
            done(JSON.stringify(out));
        })();
    "#;
    let text = client.execute_async(script, vec![]).await.expect("read the page's storage");
    let found: Value = serde_json::from_str(text.as_str().expect("a JSON string")).expect("storage as JSON");
    let mut items = Vec::new();
    for place in ["local", "session", "idb"] {
        for pair in found[place].as_array().into_iter().flatten() {
            let text = |i: usize| pair[i].as_str().unwrap_or_default().to_owned();
            items.push((place.to_owned(), text(0), text(1)));
        }
    }
    items.push(("document.cookie".into(), String::new(), found["cookie"].as_str().unwrap_or_default().to_owned()));
    for cookie in client.get_all_cookies().await.expect("the cookies") {
        items.push(("cookie".into(), cookie.name().to_owned(), cookie.value().to_owned()));
    }
    items
}

fn base64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    })
}

/// Decodes a run of base64 digits (standard or URL alphabet) from its first digit on.
fn base64_decode(digits: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for value in digits.iter().filter_map(|c| base64_value(*c)) {
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `text` holds `secret` plainly, percent-encoded, or inside any run of base64 or hex
/// digits decoded at every alignment.
fn reveals(text: &str, secret: &str) -> bool {
    let secret = secret.as_bytes();
    let bytes = text.as_bytes();
    if contains(bytes, secret) {
        return true;
    }
    let runs = |is_digit: fn(&u8) -> bool| -> Vec<&[u8]> {
        bytes.split(|b| !is_digit(b)).filter(|run| run.len() >= secret.len()).collect()
    };
    let base64 = runs(|b| base64_value(*b).is_some())
        .into_iter()
        .any(|run| (0..4).any(|offset| run.len() > offset && contains(&base64_decode(&run[offset..]), secret)));
    let hex = runs(u8::is_ascii_hexdigit).into_iter().any(|run| {
        (0..2).any(|offset| {
            let decoded: Vec<u8> = run[offset..]
                .chunks_exact(2)
                .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
                .collect();
            contains(&decoded, secret)
        })
    });
    base64 || hex
}

#[test]
fn the_detector_finds_every_encoding() {
    let secret = "lab-1001-pw";
    for text in [
        r#"{"password":"lab-1001-pw"}"#,
        "xx bGFiLTEwMDEtcHc= yy",  // base64
        "eGxhYi0xMDAxLXB3",        // base64 of "xlab-1001-pw" (another alignment)
        "eHhsYWItMTAwMS1wdw",      // base64 of "xxlab-1001-pw", no padding
        "6c61622d313030312d7077",  // hex
        "A6C61622D313030312D7077", // upper-case hex at an odd offset
        "LAB-1001-PW",
    ] {
        assert!(reveals(text, secret), "{text}");
    }
    assert!(!reveals(r#"{"ha1":"57f20519003d00270b2de26936274101"}"#, secret));
}

/// Fails when anything the page stored reveals `password`.
async fn assert_nothing_reveals(client: &Client, password: &str, when: &str) {
    let items = stored(client).await;
    for (place, key, value) in &items {
        assert!(
            !reveals(key, password) && !reveals(value, password),
            "{when}: {place} {key} = {value} holds the password"
        );
    }
}

/// The kept sign-in entry in `place` (`local` or `session`), if any.
async fn kept_entry(client: &Client, place: &str) -> Option<Value> {
    stored(client)
        .await
        .into_iter()
        .find(|(p, key, _)| p == place && key == "framephone.sign-in.digest")
        .map(|(_, _, value)| serde_json::from_str(&value).expect("the kept entry is JSON"))
}

/// Signs 1001 in with or without Remember me, checks every storage, reloads (signed back in
/// from the HA1), signs out, and checks that nothing of the agent's is left and no error rose.
async fn sign_in_reload_sign_out(remember: bool) {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    collect_page_errors(client).await;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    // History from an earlier session of this user, which Sign out must remove too.
    client.execute("localStorage.setItem('framephone.history.1001', JSON.stringify([]))", vec![]).await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form");
    if remember {
        by_role(client, "checkbox", "Remember me on this computer").await.unwrap().click().await.unwrap();
    }
    sign_in(client, "1001").await;
    let password = "lab-1001-pw";
    assert_nothing_reveals(client, password, "signed in").await;

    let session = eventually("the accepted sign-in kept for the session", || kept_entry(client, "session")).await;
    assert_eq!(session["username"], "1001");
    assert_eq!(session["realm"], "framephone.test");
    assert_eq!(session["algorithm"], "MD5");
    let ha1 = session["ha1"].as_str().expect("an HA1");
    assert!(ha1.len() == 32 && ha1.bytes().all(|b| b.is_ascii_hexdigit()), "{ha1}");
    let mut fields: Vec<&String> = session.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(fields, ["algorithm", "ha1", "realm", "username"]);
    let local = kept_entry(client, "local").await;
    if remember {
        assert_eq!(local.as_ref(), Some(&session), "remembered across sessions");
    } else {
        assert_eq!(local, None, "not remembered across sessions");
    }

    // A reload signs back in from the HA1 alone.
    client.refresh().await.unwrap();
    wait_for_status(client, "Registered as 1001").await;
    assert_nothing_reveals(client, password, "after a reload").await;
    assert_eq!(kept_entry(client, "session").await.as_ref(), Some(&session));

    by_role(client, "button", "Sign out").await.unwrap().click().await.unwrap();
    wait_for_status(client, "Phone offline").await;
    // Past the shell's unregistration deadline and a few of its one-second clocks.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for (place, key, value) in stored(client).await {
        assert!(
            !key.contains("1001") && !value.contains("\"1001\"") && !value.contains(ha1) && !key.contains("sign-in"),
            "after Sign out: {place} {key} = {value}"
        );
    }
    assert_eq!(page_errors(client).await, Vec::<String>::new(), "page errors");
    client.refresh().await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form after a reload");
    wait_for_status(client, "Phone offline").await;
    browser.close().await;
}

#[tokio::test]
async fn a_session_sign_in_keeps_only_the_accepted_ha1_and_sign_out_leaves_nothing() {
    sign_in_reload_sign_out(false).await;
}

#[tokio::test]
async fn a_remembered_sign_in_keeps_only_the_accepted_ha1_and_sign_out_leaves_nothing() {
    sign_in_reload_sign_out(true).await;
}

#[tokio::test]
async fn a_wrong_password_is_never_stored() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.unwrap().send_keys("1002").await.unwrap();
    let wrong = "not-lab-1002-pw";
    by_role(client, "textbox", "Password").await.unwrap().send_keys(wrong).await.unwrap();
    by_role(client, "checkbox", "Remember me on this computer").await.unwrap().click().await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    wait_for_status(client, "the username or password is wrong").await;
    assert_nothing_reveals(client, wrong, "after a refused sign-in").await;
    assert_eq!(kept_entry(client, "session").await, None);
    assert_eq!(kept_entry(client, "local").await, None);
    // Nothing is replayed on the next load.
    client.refresh().await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form");
    tokio::time::sleep(Duration::from_secs(1)).await;
    wait_for_status(client, "Phone offline").await;
    browser.close().await;
}

#[tokio::test]
async fn a_kept_secret_the_server_refuses_is_forgotten_and_the_form_says_why() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.unwrap();
    // A well-formed entry whose HA1 is not 1003's (the password changed since, say).
    let entry =
        r#"{"username":"1003","realm":"framephone.test","algorithm":"MD5","ha1":"0123456789abcdef0123456789abcdef"}"#;
    let script = "localStorage.setItem('framephone.sign-in.digest', arguments[0]); \
                  sessionStorage.setItem('framephone.sign-in.digest', arguments[0]);";
    client.execute(script, vec![Value::from(entry)]).await.unwrap();
    client.refresh().await.unwrap();
    wait_for_status(client, "no longer accepts the saved sign-in").await;
    let alert = wait_for_role(client, "alert", "", PATIENCE).await.expect("the reason in the form");
    assert!(alert.text().await.unwrap().contains("enter your password"));
    wait_for_role(client, "textbox", "Password", PATIENCE).await.expect("the form asks for the password");
    assert_eq!(kept_entry(client, "session").await, None);
    assert_eq!(kept_entry(client, "local").await, None);
    // The password signs in again, and its HA1 replaces the refused one.
    let password = by_role(client, "textbox", "Password").await.unwrap();
    password.send_keys("lab-1003-pw").await.unwrap();
    by_role(client, "button", "Sign in").await.unwrap().click().await.unwrap();
    wait_for_status(client, "Registered as 1003").await;
    let kept = eventually("the new sign-in kept", || kept_entry(client, "session")).await;
    assert_ne!(kept["ha1"], "0123456789abcdef0123456789abcdef");
    browser.close().await;
}

#[tokio::test]
async fn an_old_entry_with_a_clear_password_is_deleted_at_start_up() {
    let server = devserver().await;
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.unwrap();
    let old = r#"{"username":"1004","password":"lab-1004-pw"}"#;
    let script = "localStorage.setItem('framephone.sign-in', arguments[0]); \
                  sessionStorage.setItem('framephone.sign-in', arguments[0]);";
    client.execute(script, vec![Value::from(old)]).await.unwrap();
    client.refresh().await.unwrap();
    wait_for_role(client, "textbox", "Username", PATIENCE).await.expect("the sign-in form, not a sign-in");
    eventually("the old entries to go", || async {
        let items = stored(client).await;
        items.iter().all(|(_, _, value)| !reveals(value, "lab-1004-pw")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    wait_for_status(client, "Phone offline").await;
    browser.close().await;
}

#[tokio::test]
async fn signing_out_during_a_call_raises_no_page_error() {
    let server = devserver().await;
    let (agent, colleague) = (Browser::start().await, Browser::start().await);
    let (a, b) = (&agent.client, &colleague.client);
    collect_page_errors(a).await;
    collect_page_errors(b).await;
    for (client, user) in [(a, "1005"), (b, "1006")] {
        client.goto(&format!("{}/", server.widget)).await.unwrap();
        submit_sign_in(client, user).await;
        wait_for_status(client, &format!("Registered as {user}")).await;
    }
    // Signed back in from the kept HA1 alone, the agent places a call: the proxy's challenge
    // to the INVITE is answered from it too.
    a.refresh().await.unwrap();
    wait_for_status(a, "Registered as 1005").await;
    by_role(a, "textbox", "Number").await.unwrap().send_keys("1006").await.unwrap();
    e2e::call_and_answer(a, b).await;
    by_role(a, "button", "Sign out").await.unwrap().click().await.unwrap();
    wait_for_status(a, "Phone offline").await;
    eventually("the colleague's call to end", || async { e2e::call_region(b).await.is_err().then_some(()) }).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(page_errors(a).await, Vec::<String>::new(), "the agent's page errors");
    // Signing in again at once works, and the old phone's late events do not disturb it.
    submit_sign_in(a, "1005").await;
    wait_for_status(a, "Registered as 1005").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    wait_for_status(a, "Registered as 1005").await;
    by_role(a, "button", "Sign out").await.unwrap().click().await.unwrap();
    wait_for_status(a, "Phone offline").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(page_errors(a).await, Vec::<String>::new(), "the agent's page errors");
    assert_eq!(page_errors(b).await, Vec::<String>::new(), "the colleague's page errors");
    agent.close().await;
    colleague.close().await;
}
