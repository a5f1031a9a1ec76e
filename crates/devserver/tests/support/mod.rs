//! What the configuration tests share: reading the `framephone.json` the widget's origin serves.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The configuration the widget's origin serves now.
pub async fn widget_config(widget: &str) -> String {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri = format!("{widget}/framephone.json").parse().expect("uri");
    let response = client.get(uri).await.expect("the widget's origin answers");
    let body = response.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

/// The configuration served once `wanted` holds for it, or after 15 s whatever it is.
pub async fn until_served(widget: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = widget_config(widget).await;
        if wanted(&text) || Instant::now() > deadline {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
