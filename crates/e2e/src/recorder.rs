//! An origin that records every request it receives: the stand-in for a page the widget must
//! never contact.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::Uri;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A loopback HTTP origin that counts requests and answers every one with an empty 200.
pub struct Recorder {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    hits: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Recorder {
    /// Starts listening on a free port; every request is answered with `page` as HTML.
    pub async fn start(page: &'static str) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind recorder");
        let origin = format!("http://{}", listener.local_addr().expect("local address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let router = Router::new().fallback(move |uri: Uri| {
            counter.fetch_add(1, Ordering::SeqCst);
            eprintln!("recorder: request for {uri}");
            async move { axum::response::Html(page) }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Recorder { origin, hits, task }
    }

    /// How many requests arrived so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
