//! The widget's configuration read from the integration service (`--config-url`, a tenant's
//! `/t/<slug>/framephone.json`): fetched every 2 s, so that a change saved in the admin UI
//! reaches the next page load, and taken only when the widget's own reader accepts it. Until the
//! service has one (404), or while it cannot be reached, the configuration served so far stays.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinHandle;

/// How often the service is asked.
const EVERY: Duration = Duration::from_secs(2);
/// Longest configuration read.
const MAX_BYTES: usize = 64 * 1024;

/// What one look at the service found.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// A configuration the widget accepts.
    Config(String),
    /// Something else, in words for the console.
    Problem(String),
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

/// One look, answer and body within [`EVERY`].
async fn fetch(client: &HttpClient, url: &Uri) -> Found {
    tokio::time::timeout(EVERY, read(client, url))
        .await
        .unwrap_or_else(|_| Found::Problem(format!("{url} did not answer in time")))
}

async fn read(client: &HttpClient, url: &Uri) -> Found {
    let response = match client.get(url.clone()).await {
        Ok(response) => response,
        Err(error) => return Found::Problem(format!("cannot reach {url}: {error}")),
    };
    let status = response.status();
    let body = match http_body_util::Limited::new(response.into_body(), MAX_BYTES).collect().await {
        Ok(body) => body.to_bytes(),
        Err(error) => return Found::Problem(format!("{url}: the answer could not be read ({error})")),
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    if status != StatusCode::OK {
        let said = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        return Found::Problem(format!("{url} answered {status}: {said}"));
    }
    match framephone::config::Config::parse(&text) {
        Ok(_) => Found::Config(text),
        Err(problems) => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            Found::Problem(format!("{url} serves a configuration the widget refuses: {}", list.join("; ")))
        }
    }
}

/// Follows `url` into `config` until the task is dropped; says on the console when what it
/// finds changes.
pub(crate) fn follow(url: Uri, config: Arc<RwLock<String>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
        let mut last = None;
        loop {
            let found = fetch(&client, &url).await;
            if last.as_ref() != Some(&found) {
                match &found {
                    Found::Config(text) => {
                        *config.write().unwrap_or_else(|e| e.into_inner()) = text.clone();
                        eprintln!("devserver: the widget's configuration is now the one at {url}");
                    }
                    Found::Problem(problem) => eprintln!("devserver: {problem}; the current configuration stays"),
                }
                last = Some(found);
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}
