//! The widget's origin: the static build and its configuration file, every response with the
//! deployment headers (`headers`).

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, RwLock};

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use tower_http::services::ServeDir;

use crate::headers::Security;

/// The configuration the demo and the tests start with.
pub(crate) fn default_config(servicenow: &str, salesforce: &str, sip_server: &str) -> String {
    let config = serde_json::json!({
        "sip": { "domain": "framephone.test", "servers": [sip_server] },
        "ice": { "servers": [] },
        "hosts": {
            "allowedOrigins": [servicenow, salesforce],
            "salesforceMode": "classic"
        },
        "panel": { "title": "Framephone", "width": 373, "height": 420 }
    });
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

pub(crate) fn router(dist: PathBuf, config: Arc<RwLock<String>>, enabled: Arc<AtomicBool>) -> Router {
    let fallback: Arc<str> = config.read().map(|c| c.clone()).unwrap_or_default().into();
    let security = Security { dist: dist.clone().into(), config: config.clone(), fallback, enabled };
    let config_route = get(move || {
        let text = config.read().map(|c| c.clone()).unwrap_or_default();
        async move {
            ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], text).into_response()
        }
    });
    Router::new()
        .route("/framephone.json", config_route)
        .fallback_service(ServeDir::new(dist))
        .layer(middleware::from_fn(move |request, next| crate::headers::add(security.clone(), request, next)))
}
