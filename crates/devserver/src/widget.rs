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

use crate::Options;
use crate::headers::Security;
use framephone::config::{IceServer, IceTransportPolicy};

/// The configuration the demo and the tests start with.
pub(crate) fn default_config(servicenow: &str, salesforce: &str, options: &Options) -> String {
    let policy = match options.ice_transport_policy {
        IceTransportPolicy::All => "all",
        IceTransportPolicy::Relay => "relay",
    };
    let mut config = serde_json::json!({
        "sip": { "domain": "framephone.test", "servers": [options.sip_server] },
        "ice": { "servers": options.ice_servers.iter().map(ice_server).collect::<Vec<_>>(), "transportPolicy": policy },
        "hosts": { "allowedOrigins": [servicenow, salesforce] },
        "panel": { "title": "Framephone", "width": 373, "height": 300 },
        "crm": {
            "dispositions": ["Resolved", "Call back", "Escalated", "Wrong number"],
            "servicenow": { "oauthClientId": crate::emulators::servicenow::OAUTH_CLIENT_ID }
        }
    });
    if let Some(service) = &options.service {
        config["service"] = serde_json::json!({ "url": service });
    }
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

/// One entry of `ice.servers` as `framephone.json` spells it.
fn ice_server(server: &IceServer) -> serde_json::Value {
    let mut entry = serde_json::json!({ "urls": server.urls });
    if let Some(username) = &server.username {
        entry["username"] = username.as_str().into();
    }
    if let Some(credential) = &server.credential {
        entry["credential"] = credential.as_str().into();
    }
    entry
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

#[cfg(test)]
mod tests {
    use super::*;
    use framephone::config::Config;

    #[test]
    fn the_default_configuration_carries_the_ice_options() {
        let mut options = Options::ephemeral("dist".into());
        let plain = Config::parse(&default_config("http://127.0.0.1:2", "http://127.0.0.1:3", &options));
        let plain = plain.expect("the default configuration is valid");
        assert_eq!((plain.ice_servers, plain.ice_transport_policy), (vec![], IceTransportPolicy::All));
        let turn = IceServer {
            urls: vec!["turn:127.0.0.1:3478".into()],
            username: Some("agent".into()),
            credential: Some("pw".into()),
        };
        options.ice_servers = vec![turn.clone()];
        options.ice_transport_policy = IceTransportPolicy::Relay;
        let relay = Config::parse(&default_config("http://127.0.0.1:2", "http://127.0.0.1:3", &options));
        let relay = relay.expect("the relay configuration is valid");
        assert_eq!((relay.ice_servers, relay.ice_transport_policy), (vec![turn], IceTransportPolicy::Relay));
    }
}
