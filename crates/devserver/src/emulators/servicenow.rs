//! The ServiceNow emulator: an Agent Workspace page with a floating OpenFrame panel, and the
//! OpenFrame API script that runs inside the widget's frame.

use axum::Router;
use axum::routing::get;

use super::{COMMON_CSS, COMMON_LOG_JS, Pages, script, style};

const WORKSPACE_HTML: &str = include_str!("../../assets/servicenow/workspace.html");
const WORKSPACE_JS: &str = include_str!("../../assets/servicenow/workspace.js");
const OPENFRAME_API_JS: &str = include_str!("../../assets/servicenow/openFrameAPI.js");

pub(crate) fn router(pages: Pages, origin: String) -> Router {
    Router::new()
        .route("/", get(move || async move { pages.html(WORKSPACE_HTML, &origin) }))
        .route("/workspace.js", get(|| async { script(WORKSPACE_JS) }))
        .route("/emulator.css", get(|| async { style(COMMON_CSS) }))
        .route("/log.js", get(|| async { script(COMMON_LOG_JS) }))
        // `latest` is the instance's alias for its newest version.
        .route("/scripts/openframe/1.0.5/openFrameAPI.min.js", get(|| async { script(OPENFRAME_API_JS) }))
        .route("/scripts/openframe/latest/openFrameAPI.min.js", get(|| async { script(OPENFRAME_API_JS) }))
}
