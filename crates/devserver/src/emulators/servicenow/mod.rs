//! The ServiceNow emulator: an instance as far as the widget meets one. The Agent Workspace page
//! with a floating OpenFrame panel and the OpenFrame API script that runs inside the widget's
//! frame; the OAuth authorisation server; CORS rules; the REST Table API with the phone-log
//! table and its work-notes rule; the voice-interaction endpoint; and the records' activity
//! streams, shown on the record page.

mod consent_page;
mod cors;
mod encoded_query;
mod glide_time;
pub(crate) mod ids;
mod instance;
mod oauth;
mod outage;
mod page_api;
mod phone_log;
mod records;
mod request_log;
mod table_api;
mod voice_interaction;
mod work_notes;

use axum::routing::{get, post};
use axum::{Router, middleware};

pub use instance::{INSTANCE_ADMIN, OAUTH_CLIENT_ID, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, ServiceNowInstance};
pub use records::{Field, Record};

use super::{COMMON_CSS, COMMON_LOG_JS, Pages, script, style};

const WORKSPACE_HTML: &str = include_str!("../../../assets/servicenow/workspace.html");
const WORKSPACE_JS: &str = include_str!("../../../assets/servicenow/workspace.js");
const OPENFRAME_API_JS: &str = include_str!("../../../assets/servicenow/openFrameAPI.js");

/// The instance's routes, serving `instance` at `origin`.
pub(crate) fn router(pages: Pages, origin: String, instance: ServiceNowInstance) -> Router {
    Router::new()
        .route("/", get(move || async move { pages.html(WORKSPACE_HTML, &origin) }))
        .route("/workspace.js", get(|| async { script(WORKSPACE_JS) }))
        .route("/emulator.css", get(|| async { style(COMMON_CSS) }))
        .route("/log.js", get(|| async { script(COMMON_LOG_JS) }))
        // `latest` is the instance's alias for its newest version.
        .route("/scripts/openframe/1.0.5/openFrameAPI.min.js", get(|| async { script(OPENFRAME_API_JS) }))
        .route("/scripts/openframe/latest/openFrameAPI.min.js", get(|| async { script(OPENFRAME_API_JS) }))
        .route("/oauth_auth.do", get(oauth::authorise).post(oauth::decide))
        .route("/oauth_token.do", post(oauth::token))
        .route("/api/now/table/{table}", get(table_api::list).post(table_api::insert))
        .route("/api/now/table/{table}/{sys_id}", get(table_api::read).patch(table_api::update))
        .route("/api/now/openframe/voice-interaction", post(voice_interaction::record))
        .route("/emulator/records", get(page_api::records))
        .route("/emulator/activity/{sys_id}", get(page_api::activity))
        // Layers run outside in: the request log sees everything, CORS answers preflights and
        // marks every answer (a 503 included) for allowed origins, the outage gate comes last.
        .layer(middleware::from_fn_with_state(instance.clone(), outage::gate))
        .layer(middleware::from_fn_with_state(instance.clone(), cors::rules))
        .layer(middleware::from_fn_with_state(instance.clone(), request_log::record_request))
        .with_state(instance)
}
