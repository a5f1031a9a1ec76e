//! The phone in Japanese from end to end. One agent's browser speaks Japanese (`--lang=ja`,
//! the configuration saying `"language": "auto"`), the other's English with the configuration
//! saying `"ja"`: both show Japanese. At every view — the sign-in form, each tab, a
//! conversation, a ringing call, a call in progress with its keypad and transfer form, a held
//! call, the wrap-up, the history with a missed call — a walk over the whole DOM (every text
//! node and every `aria-label`, `title`, `placeholder`, `alt` and `aria-valuetext`, hidden panels
//! included) finds no English word: only the product's, protocols' and keys' names, and what
//! the phone did not write (names, numbers, messages, device names: `translate="no"`). Elements are
//! found by role and their Japanese names, read from the catalog the widget is built with.
//! Needs the Kamailio lab (`$LAB_WS_PORT`), agents 1104–1105.

use e2e::{Browser, PATIENCE, Words, by_role, by_role_starting, devserver, eventually, wait_for_role};
use fantoccini::{Client, Locator};

/// Every English word the page shows or tells a screen reader, with where it was found.
async fn english_words(client: &Client) -> Vec<String> {
    let script = r#"
        const kept = new Set(arguments[0]);
        const found = [];
        // What the phone did not write (names and numbers, messages' texts, device names) is
        // marked translate="no" for the browser's translators too; and what an agent types.
        const untrusted = node => node.parentElement && node.parentElement.closest(
            '[translate=no], script, style, textarea, datalist');
        const check = (text, where) => {
            for (const word of (text || '').match(/[A-Za-z][A-Za-z-]*/g) || []) {
                const bare = word.replace(/^-+|-+$/g, '');
                if (bare && !kept.has(bare)) found.push(`${where}: ${bare} in ${JSON.stringify(text.trim())}`);
            }
        };
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!untrusted(node)) check(node.nodeValue, node.parentElement.tagName.toLowerCase());
        }
        for (const element of document.body.querySelectorAll('*')) {
            if (element.closest('[translate=no], script, style')) continue;
            for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'aria-valuetext']) {
                if (element.hasAttribute(name)) check(element.getAttribute(name), `${element.tagName.toLowerCase()}[${name}]`);
            }
        }
        return found;
    "#;
    let value =
        client.execute(script, vec![serde_json::json!(framephone::i18n::UNTRANSLATED)]).await.expect("walk the page");
    serde_json::from_value(value).unwrap_or_default()
}

/// Fails with every English word the page shows at `moment`.
async fn all_japanese(client: &Client, who: &str, moment: &str) {
    let words = english_words(client).await;
    assert!(words.is_empty(), "{who}, {moment}: English left in the page: {words:#?}");
}

/// Signs `user` in through the Japanese form, and waits for the Status control.
async fn sign_in(client: &Client, words: &Words, user: &str) {
    let username =
        wait_for_role(client, "textbox", &words.with("panel.sign-in.username", &[]), PATIENCE).await.expect("username");
    username.send_keys(user).await.unwrap();
    by_role(client, "textbox", &words.with("panel.sign-in.password", &[]))
        .await
        .unwrap()
        .send_keys(&format!("lab-{user}-pw"))
        .await
        .unwrap();
    by_role(client, "button", &words.with("panel.sign-in.sign-in", &[])).await.unwrap().click().await.unwrap();
    wait_for_role(client, "combobox", &words.with("panel.agent.status", &[]), PATIENCE).await.expect("signed in");
}

#[tokio::test]
async fn the_whole_phone_speaks_japanese() {
    let words = Words::of("ja");
    let tab = |key: &str| words.get(key);
    let server = devserver().await;
    server.amend_config(serde_json::json!({
        "language": "auto",
        "directory": [{ "name": "佐藤 花子", "number": "1105" }, { "name": "鈴木 一郎", "number": "1104" }],
        // What an administrator writes is shown as written: a Japanese site writes Japanese.
        "crm": { "dispositions": ["解決済み", "折り返し", "エスカレーション"] }
    }));
    // The browser says Japanese, the configuration leaves it to the browser.
    let agent = Browser::start_in_language("ja").await;
    let a = &agent.client;
    a.goto(&format!("{}/", server.widget)).await.unwrap();
    wait_for_role(a, "button", &words.with("panel.sign-in.sign-in", &[]), PATIENCE)
        .await
        .expect("the Japanese sign-in form");
    let lang = a.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(lang.as_str(), Some("ja"));
    all_japanese(a, "1104", "the sign-in form").await;
    sign_in(a, &words, "1104").await;

    // The colleague's browser speaks English; the configuration now says Japanese.
    server.amend_config(serde_json::json!({ "language": "ja" }));
    let colleague = Browser::start().await;
    let b = &colleague.client;
    b.goto(&format!("{}/", server.widget)).await.unwrap();
    sign_in(b, &words, "1105").await;
    all_japanese(b, "1105", "signed in").await;

    for key in ["tab.directory", "tab.history", "tab.messages", "tab.settings", "tab.dial-pad"] {
        by_role(a, "tab", &tab(key)).await.unwrap().click().await.unwrap();
        all_japanese(a, "1104", &format!("the {key} tab")).await;
    }

    // A message, unread, then read in its conversation.
    by_role(b, "tab", &tab("tab.directory")).await.unwrap().click().await.unwrap();
    by_role(b, "button", &words.with("panel.message-who", &[("name", "鈴木 一郎")]))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let to_a = words.with("panel.messages.box", &[("name", "鈴木 一郎 (1104)")]);
    by_role(b, "textbox", &to_a).await.unwrap().send_keys("お疲れさまです\u{e007}").await.unwrap();
    eventually("the unread count", || async {
        a.find(Locator::Css("#fp-tab-messages .fp-tabs__count")).await.ok().map(|_| ())
    })
    .await;
    all_japanese(a, "1104", "an unread message").await;
    by_role(a, "tab", &tab("tab.messages")).await.unwrap().click().await.unwrap();
    all_japanese(a, "1104", "the conversations").await;
    by_role_starting(a, "button", "佐藤 花子 (1105)").await.unwrap().click().await.unwrap();
    all_japanese(a, "1104", "a conversation").await;
    e2e::screenshot(a, "japanese-conversation").await;
    all_japanese(b, "1105", "a delivered message").await;

    // A call missed, then one answered, held, with its keypad and transfer form, and wrapped up.
    by_role(b, "tab", &tab("tab.dial-pad")).await.unwrap().click().await.unwrap();
    let number = by_role(b, "textbox", &words.with("panel.dial-pad.number", &[])).await.unwrap();
    number.send_keys("1104\u{e007}").await.unwrap();
    wait_for_role(a, "alertdialog", &words.with("calls.incoming.title", &[]), PATIENCE).await.expect("ringing");
    all_japanese(a, "1104", "ringing").await;
    all_japanese(b, "1105", "calling").await;
    by_role_starting(b, "button", &words.with("calls.control.hang-up", &[])).await.unwrap().click().await.unwrap();
    eventually("the call to stop ringing", || async {
        by_role(a, "alertdialog", &words.with("calls.incoming.title", &[])).await.err().map(|_| ())
    })
    .await;
    let number = by_role(b, "textbox", &words.with("panel.dial-pad.number", &[])).await.unwrap();
    number.clear().await.unwrap();
    number.send_keys("1104\u{e007}").await.unwrap();
    wait_for_role(a, "alertdialog", &words.with("calls.incoming.title", &[]), PATIENCE).await.expect("ringing again");
    by_role(a, "button", &words.with("calls.incoming.answer", &[])).await.unwrap().click().await.unwrap();
    wait_for_role(a, "button", &words.with("calls.control.hang-up", &[]), PATIENCE).await.expect("the call");
    all_japanese(a, "1104", "in a call").await;
    e2e::screenshot(a, "japanese-active-call").await;
    by_role(a, "button", &words.with("calls.control.keypad", &[])).await.unwrap().click().await.unwrap();
    all_japanese(a, "1104", "the call's keypad").await;
    by_role(a, "button", &words.with("calls.control.transfer", &[])).await.unwrap().click().await.unwrap();
    all_japanese(a, "1104", "the transfer form").await;
    by_role(a, "button", &words.with("calls.control.hold", &[])).await.unwrap().click().await.unwrap();
    wait_for_role(a, "button", &words.with("calls.control.resume", &[]), PATIENCE).await.expect("held");
    all_japanese(a, "1104", "a held call").await;
    all_japanese(b, "1105", "held by the other party").await;
    by_role_starting(a, "button", &words.with("calls.control.hang-up", &[])).await.unwrap().click().await.unwrap();
    eventually("the wrap-up", || async { a.find(Locator::Css(".fp-wrapup, [class*=wrap]")).await.ok() }).await;
    all_japanese(a, "1104", "the wrap-up").await;
    by_role(a, "tab", &tab("tab.history")).await.unwrap().click().await.unwrap();
    all_japanese(a, "1104", "the history with a missed call").await;
    all_japanese(b, "1105", "after the calls").await;
    agent.close().await;
    colleague.close().await;
}
