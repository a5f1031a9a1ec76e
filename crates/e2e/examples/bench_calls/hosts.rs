//! Page load to an interactive phone in each host view: a fresh browser (nothing cached) opens
//! the host page, and the time runs from the page's navigation start to the widget's
//! `framephone:interactive` mark (the phone rendered, the sign-in form usable), read on one
//! clock: the frame's `performance.timeOrigin` plus its mark, less the page's `timeOrigin`. The
//! frame's own part (its navigation start to the mark) is printed beside it.

use e2e::{Browser, devserver, enter_widget, eventually};
use fantoccini::Client;

use crate::stats::Spread;

/// The widget's frame in each view (none: the pop-out is the widget's own page).
fn frame_of(view: &str) -> Option<&'static str> {
    match view {
        "ServiceNow" => Some("#openframe"),
        "Salesforce Lightning" | "Salesforce Classic" => Some("#softphone"),
        _ => None,
    }
}

/// This document's `performance.timeOrigin`, and the last `interactive` mark in it once there.
async fn origin_and_mark(client: &Client) -> (f64, f64) {
    let script = "const e = performance.getEntriesByName('framephone:interactive'); \
                  return e.length ? [performance.timeOrigin, e[e.length - 1].startTime] : null;";
    eventually("the interactive mark", || async {
        let value = client.execute(script, vec![]).await.ok()?;
        Some((value.get(0)?.as_f64()?, value.get(1)?.as_f64()?))
    })
    .await
}

/// `loads` cold loads of each view, as a table; Classic again with its flavour configured
/// (`hosts.salesforceMode`), since the emulator's loopback origin, unlike an org's
/// `*.salesforce.com`, does not say which Open CTI the page speaks and the widget asks first.
pub async fn run(loads: usize) {
    let server = devserver().await;
    println!(
        "| view | runs | page load → interactive phone: median (min–max) | the frame's own load → interactive: median |"
    );
    println!("|---|---|---|---|");
    let classic = server.views().into_iter().find(|(view, _)| *view == "Salesforce Classic");
    for (view, url) in server.views() {
        row(view, view, &url, loads).await;
    }
    if let Some((view, url)) = classic {
        server.amend_config(serde_json::json!({ "hosts": { "salesforceMode": "classic" } }));
        row("Salesforce Classic, `hosts.salesforceMode: \"classic\"`", view, &url, loads).await;
    }
}

/// One view's row: `loads` cold loads of `url`.
async fn row(title: &str, view: &str, url: &str, loads: usize) {
    let (mut totals, mut own) = (Vec::new(), Vec::new());
    for _ in 0..loads {
        let browser = Browser::start().await;
        let client = &browser.client;
        client.goto(url).await.expect("open the view");
        let page_origin = match frame_of(view) {
            Some(frame) => {
                let origin = client.execute("return performance.timeOrigin", vec![]).await.expect("the page's clock");
                enter_widget(client, frame).await;
                origin.as_f64()
            }
            None => None,
        };
        let (frame_origin, mark) = origin_and_mark(client).await;
        own.push(mark);
        totals.push(page_origin.map_or(mark, |page| frame_origin + mark - page));
        browser.close().await;
    }
    if let (Some(total), Some(frame)) = (Spread::of(&totals), Spread::of(&own)) {
        println!(
            "| {title} | {} | {:.0} ms ({:.0}–{:.0}) | {:.0} ms |",
            total.runs, total.median, total.min, total.max, frame.median
        );
    }
}
