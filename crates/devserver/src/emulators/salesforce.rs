//! The Salesforce emulator: Lightning and Classic pages around the softphone, and the Open CTI
//! scripts that run inside the widget's frame.

use axum::Router;
use axum::routing::get;

use super::{COMMON_CSS, COMMON_LOG_JS, Pages, script, style};

const LIGHTNING_HTML: &str = include_str!("../../assets/salesforce/lightning.html");
const CLASSIC_HTML: &str = include_str!("../../assets/salesforce/classic.html");
const HOST_JS: &str = include_str!("../../assets/salesforce/host.js");
const OPENCTI_JS: &str = include_str!("../../assets/salesforce/opencti.js");
const INTERACTION_JS: &str = include_str!("../../assets/salesforce/interaction.js");

pub(crate) fn router(pages: Pages, origin: String) -> Router {
    let classic_pages = pages.clone();
    let classic_origin = origin.clone();
    Router::new()
        .route("/lightning", get(move || async move { pages.html(LIGHTNING_HTML, &origin) }))
        .route("/classic", get(move || async move { classic_pages.html(CLASSIC_HTML, &classic_origin) }))
        .route("/host.js", get(|| async { script(HOST_JS) }))
        .route("/emulator.css", get(|| async { style(COMMON_CSS) }))
        .route("/log.js", get(|| async { script(COMMON_LOG_JS) }))
        .route("/support/api/60.0/lightning/opencti_min.js", get(|| async { script(OPENCTI_JS) }))
        .route("/support/api/60.0/interaction.js", get(|| async { script(INTERACTION_JS) }))
}
