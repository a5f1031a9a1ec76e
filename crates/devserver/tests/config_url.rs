//! `--config-url`: the widget's configuration follows a tenant's `framephone.json` on the
//! integration service, once there is one the widget's reader accepts; until then, and when the
//! service serves one the widget would refuse, the configuration served so far stays.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use devserver::Options;

mod support;
use support::{until_served, widget_config};

/// A stand-in for the service's `/t/acme/framephone.json`: 404 until `served` holds something.
async fn service(served: Arc<Mutex<Option<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/t/acme/framephone.json", listener.local_addr().expect("address"));
    let app = Router::new().route(
        "/t/acme/framephone.json",
        get(move || {
            let text = served.lock().expect("lock").clone();
            async move {
                match text {
                    Some(text) => (StatusCode::OK, text),
                    None => {
                        (StatusCode::NOT_FOUND, r#"{"message":"tenant acme has no widget configuration yet"}"#.into())
                    }
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_s_configuration_follows_the_tenant_s_on_the_service() {
    let served = Arc::new(Mutex::new(None));
    let url = service(served.clone()).await;
    let mut options = Options::ephemeral(PathBuf::from("no-dist"));
    options.config_url = Some(url);
    let running = devserver::start(options).await.expect("starts");

    // None on the service yet: the default configuration is served.
    let default = widget_config(&running.widget).await;
    assert!(default.contains("framephone.test"), "{default}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(widget_config(&running.widget).await, default, "a 404 changes nothing");

    // One the widget would refuse is not taken.
    *served.lock().expect("lock") = Some(r#"{"sip": {"domain": "acme.example", "servers": ["http://x"]}}"#.into());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(widget_config(&running.widget).await, default, "a refused configuration is not served");

    // A good one is served as written, and each change follows.
    let good = |server: &str| {
        format!(
            r#"{{"sip": {{"domain": "acme.example", "servers": ["{server}"]}}, "hosts": {{"allowedOrigins": ["https://acme.service-now.com"]}}}}"#
        )
    };
    *served.lock().expect("lock") = Some(good("wss://pbx.acme.example"));
    assert_eq!(until_served(&running.widget, |t| t.contains("pbx.acme")).await, good("wss://pbx.acme.example"));
    *served.lock().expect("lock") = Some(good("wss://pbx2.acme.example"));
    assert_eq!(until_served(&running.widget, |t| t.contains("pbx2")).await, good("wss://pbx2.acme.example"));
}

#[tokio::test]
async fn a_configuration_url_that_is_not_plain_http_is_refused_at_start() {
    let mut options = Options::ephemeral(PathBuf::from("no-dist"));
    options.config_url = Some("ftp://service/t/acme/framephone.json".into());
    let error = devserver::start(options).await.err().expect("refused");
    assert!(error.to_string().contains("must be an http:// URL"), "{error}");
}
