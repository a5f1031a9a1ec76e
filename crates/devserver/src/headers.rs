//! The deployment headers on the widget's origin: the same generator as `scripts/build.sh`
//! (`framephone::config::headers`), fed the configuration served now and the built page.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use framephone::config::Config;
use framephone::config::headers::{InlineHashes, cache_control, deployment_headers};

/// The headers for `config_text` and the page in `dist`; the configuration's problems, one a
/// line, when it is not valid.
pub fn for_deployment(dist: &Path, config_text: &str) -> Result<Vec<(&'static str, String)>, String> {
    let config = Config::parse(config_text)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
    let page = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| format!("{}: {e}", dist.join("index.html").display()))?;
    Ok(deployment_headers(&config, &InlineHashes::of_page(&page)))
}

/// What the widget origin's header layer needs.
#[derive(Clone)]
pub(crate) struct Security {
    pub(crate) dist: Arc<Path>,
    pub(crate) config: Arc<RwLock<String>>,
    /// The configuration the server started with: its headers stand in while a test serves a
    /// broken configuration (a real deployment's build refuses one).
    pub(crate) fallback: Arc<str>,
    pub(crate) enabled: Arc<AtomicBool>,
}

impl Security {
    fn headers(&self) -> Vec<(&'static str, String)> {
        let current = self.config.read().map(|c| c.clone()).unwrap_or_default();
        for_deployment(&self.dist, &current).or_else(|_| for_deployment(&self.dist, &self.fallback)).unwrap_or_default()
    }
}

/// Adds the deployment headers to every response of the widget's origin (while enabled), and
/// its caching (`cache_control`) where a route has not set its own.
pub(crate) async fn add(security: Security, request: Request, next: Next) -> Response {
    let cache = cache_control(request.uri().path());
    let mut response = next.run(request).await;
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(cache));
    if security.enabled.load(Ordering::SeqCst) {
        for (name, value) in security.headers() {
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()), HeaderValue::from_str(&value))
            {
                response.headers_mut().insert(name, value);
            }
        }
    }
    response
}
