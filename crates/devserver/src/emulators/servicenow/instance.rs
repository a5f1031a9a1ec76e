//! The instance's state (records, activity streams, phone logs, OAuth grants, switches) and the
//! handle tests hold on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::oauth::OAuthState;
use super::records::{self, Record};

/// The OAuth client the demo's widget is registered as (a public client using PKCE).
pub const OAUTH_CLIENT_ID: &str = "framephone-widget";
/// The integration service's OAuth application (a confidential client).
pub const SERVICE_CLIENT_ID: &str = "framephone-service";
/// Its client secret.
pub const SERVICE_CLIENT_SECRET: &str = "service-client-secret";
/// An instance user the password grant accepts: username and password.
pub const INSTANCE_ADMIN: (&str, &str) = ("admin", "instance-admin-password");
/// The signed-in instance user: who authorises the widget and writes work notes.
pub(crate) const SIGNED_IN_USER: &str = "abel.tuter";

/// One entry of a record's activity stream.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ActivityEntry {
    /// Who wrote it (a user name).
    pub author: String,
    /// When, as the instance writes dates.
    pub time: String,
    /// The journal it went to (`Work notes`).
    pub kind: &'static str,
    /// What it says.
    pub text: String,
}

/// Everything the instance holds.
pub(crate) struct State {
    pub records: Vec<Record>,
    /// Activity streams by record `sys_id`, oldest entry first.
    pub activity: HashMap<String, Vec<ActivityEntry>>,
    /// Rows of `sn_openframe_phone_log`, in insertion order.
    pub phone_logs: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Bodies accepted by the voice-interaction endpoint.
    pub voice_interactions: Vec<serde_json::Value>,
    /// Whether the instance has the voice-interaction endpoint (its plugin installed).
    pub voice_interaction: bool,
    /// The CORS rules' domains (origins allowed to call the REST API from a browser).
    pub cors_domains: Vec<String>,
    /// The REST API answers 503 until then.
    pub unavailable_until: Option<Instant>,
    /// Every request but the page's own `/emulator/` ones: method and path.
    pub requests: Vec<(String, String)>,
    pub oauth: OAuthState,
}

impl State {
    /// The record of `table` with `sys_id`, if there is one.
    pub(crate) fn record(&self, table: &str, sys_id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.table == table && r.sys_id == sys_id)
    }
}

/// A handle on a running ServiceNow emulator, for tests: switches that make the instance
/// misbehave as real ones do, and what was written to it. Clones share the one instance.
#[derive(Clone)]
pub struct ServiceNowInstance {
    state: Arc<Mutex<State>>,
}

impl ServiceNowInstance {
    /// A fresh demo instance whose CORS rule and OAuth client name the widget at `widget_origin`.
    pub(crate) fn new(widget_origin: &str) -> Self {
        let state = State {
            records: records::demo(),
            activity: HashMap::new(),
            phone_logs: Vec::new(),
            voice_interactions: Vec::new(),
            voice_interaction: true,
            cors_domains: vec![widget_origin.to_owned()],
            unavailable_until: None,
            requests: Vec::new(),
            oauth: OAuthState::new(OAUTH_CLIENT_ID, &format!("{widget_origin}/oauth/servicenow.html")),
        };
        ServiceNowInstance { state: Arc::new(Mutex::new(state)) }
    }

    /// The state, locked (never held across an await).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the CORS rules' domains: only these origins get `Access-Control-Allow-Origin`.
    pub fn set_cors_domains(&self, domains: Vec<String>) {
        self.lock().cors_domains = domains;
    }

    /// Makes every `/api/now/*` request answer `503 Service Unavailable` for `duration` from now.
    pub fn rest_unavailable_for(&self, duration: Duration) {
        self.lock().unavailable_until = Some(Instant::now() + duration);
    }

    /// Expires every access token issued so far: the Table API refuses them with 401.
    pub fn expire_tokens(&self) {
        self.lock().oauth.expire_tokens();
    }

    /// Allows (`true`, the default) or refuses the password grant, as the instance's hardening
    /// property `glide.oauth.inbound.ropc.grant_type.disabled` does.
    pub fn set_password_grant(&self, allowed: bool) {
        self.lock().oauth.password_grant = allowed;
    }

    /// Registers the integration service's redirect URL (`<service>/oauth/callback`) for its
    /// authorization code requests.
    pub fn set_service_redirect_uri(&self, uri: &str) {
        self.lock().oauth.set_service_redirect_uri(uri);
    }

    /// Expires every refresh token issued so far: the refresh token grant refuses them.
    pub fn expire_refresh_tokens(&self) {
        self.lock().oauth.expire_refresh_tokens();
    }

    /// Installs (`true`, the default) or removes the voice-interaction endpoint.
    pub fn set_voice_interaction(&self, available: bool) {
        self.lock().voice_interaction = available;
    }

    /// The rows of `sn_openframe_phone_log`, oldest first, each with every column and `sys_id`.
    pub fn phone_logs(&self) -> Vec<serde_json::Value> {
        self.lock().phone_logs.iter().cloned().map(serde_json::Value::Object).collect()
    }

    /// The bodies the voice-interaction endpoint accepted, oldest first.
    pub fn voice_interactions(&self) -> Vec<serde_json::Value> {
        self.lock().voice_interactions.clone()
    }

    /// The texts of the record's activity stream, newest first (empty for an unknown record).
    pub fn activity(&self, sys_id: &str) -> Vec<String> {
        let state = self.lock();
        state
            .activity
            .get(sys_id)
            .map(|entries| entries.iter().rev().map(|e| e.text.clone()).collect())
            .unwrap_or_default()
    }

    /// Every request the instance received, oldest first, as (method, path without the query);
    /// the workspace page's own `/emulator/` requests are left out.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.lock().requests.clone()
    }

    /// Adds a record, or replaces the one with the same table and `sys_id`: the Table API finds
    /// it at once, the workspace page on its next load.
    pub fn add_record(&self, record: Record) {
        let mut state = self.lock();
        state.records.retain(|r| !(r.table == record.table && r.sys_id == record.sys_id));
        state.records.push(record);
    }

    /// The instance's records, as the workspace page shows them.
    pub fn records(&self) -> Vec<Record> {
        self.lock().records.clone()
    }
}
