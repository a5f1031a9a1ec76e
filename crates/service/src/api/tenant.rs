//! The administrator's tenant and its widget configuration: the `framephone.json` the widget
//! of this contact center uses, checked by the widget's own reader when it is saved and served
//! to anyone at `/t/<slug>/framephone.json` (it holds nothing secret a browser would not get).

use crate::database::begin_writing;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::audit;
use crate::tenants::{self, Tenant};

/// Where browsers fetch the tenant's widget configuration.
fn config_url(state: &AppState, slug: &str) -> String {
    format!("{}/t/{slug}/framephone.json", state.public_url.trim_end_matches('/'))
}

/// `GET /api/tenant`: the administrator's tenant.
#[utoipa::path(get, path = "/api/tenant", tag = "tenant", summary = "The administrator's tenant", responses((status = 200, description = "{tenant, widgetConfigUrl}", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [])))]
pub async fn read(State(state): State<AppState>, Admin(admin): Admin) -> Result<Json<serde_json::Value>, ApiError> {
    let tenant = own(&state, &admin.tenant_id).await?;
    Ok(Json(serde_json::json!({ "widgetConfigUrl": config_url(&state, &tenant.slug), "tenant": tenant })))
}

async fn own(state: &AppState, tenant: &str) -> Result<Tenant, ApiError> {
    tenants::by_id(&state.db.pool, tenant).await?.ok_or(ApiError::Internal("tenant"))
}

/// `GET /api/tenant/widget-config`: the configuration as last saved (its text, unchanged).
#[utoipa::path(get, path = "/api/tenant/widget-config", tag = "tenant", summary = "The tenant's widget configuration as last saved", responses((status = 200, description = "{config: text or null}", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [])))]
pub async fn widget_config(
    State(state): State<AppState>,
    Admin(admin): Admin,
) -> Result<Json<serde_json::Value>, ApiError> {
    let config = tenants::widget_config(&state.db.pool, &admin.tenant_id).await?;
    Ok(Json(serde_json::json!({ "config": config })))
}

/// `PUT /api/tenant/widget-config`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetConfig {
    /// The whole `framephone.json`, as text.
    config: String,
}

/// `PUT /api/tenant/widget-config`: replaces the configuration once the widget's reader accepts
/// it; otherwise 422 with every problem.
#[utoipa::path(put, path = "/api/tenant/widget-config", tag = "tenant", summary = "Replaces the tenant's widget configuration (checked as the widget checks it)", request_body = WidgetConfig, responses((status = 200, description = "Saved", body = Object), (status = "4XX", description = "Refused: the body says why (invalid_config lists every problem)", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn save_widget_config(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(request): Json<WidgetConfig>,
) -> Result<Json<serde_json::Value>, ApiError> {
    tenants::check_widget_config(&request.config).map_err(ApiError::WidgetConfig)?;
    let mut tx = begin_writing(&state.db.pool).await?;
    tenants::set_widget_config(&mut tx, &admin.tenant_id, &request.config).await?;
    let detail = format!("replaced ({} bytes)", request.config.len());
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "tenant.widget-config", "framephone.json", &detail)
        .await?;
    tx.commit().await?;
    let url = config_url(&state, &own(&state, &admin.tenant_id).await?.slug);
    Ok(Json(serde_json::json!({ "message": format!("Saved: the widget reads it at {url}"), "widgetConfigUrl": url })))
}

/// `PUT /api/tenant/widget-origins`' body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetOrigins {
    /// The origins the tenant's phone is served from (`https://phone.acme.example`).
    origins: Vec<String>,
}

/// `PUT /api/tenant/widget-origins`: where the tenant's phone is served from. Its agents sign in
/// and use their tokens only from these (or the operator's `FRAMEPHONE_WIDGET_ORIGINS`).
#[utoipa::path(put, path = "/api/tenant/widget-origins", tag = "tenant", summary = "Replaces the origins the tenant's phone is served from", request_body = WidgetOrigins, responses((status = 200, description = "{widgetOrigins}", body = Object), (status = "4XX", description = "Refused: the body says why (the field names the origin at fault)", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn save_widget_origins(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(request): Json<WidgetOrigins>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let origins = tenants::check_widget_origins(&request.origins)?;
    let mut tx = begin_writing(&state.db.pool).await?;
    tenants::set_widget_origins(&mut tx, &admin.tenant_id, &origins).await?;
    let detail = if origins.is_empty() { "none".to_owned() } else { origins.join(", ") };
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "tenant.widget-origins", "widget origins", &detail)
        .await?;
    tx.commit().await?;
    state.widget_origins.changed();
    Ok(Json(serde_json::json!({ "widgetOrigins": origins })))
}

/// `GET /t/{slug}/framephone.json`: the tenant's widget configuration, for the widget's web
/// server (or its build, which writes the deployment headers from it). Any origin may read it.
#[utoipa::path(get, path = "/t/{slug}/framephone.json", tag = "tenant", summary = "A tenant's widget configuration", params(("slug" = String, Path, description = "The tenant's slug")), responses((status = 200, description = "framephone.json", body = Object), (status = 404, description = "No such tenant, or no configuration saved yet", body = ErrorBody)))]
pub async fn served_config(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, ApiError> {
    let tenant = match tenants::slug_refusal(&slug) {
        Some(_) => None,
        None => tenants::by_slug(&state.db.pool, &slug).await?,
    };
    let Some(tenant) = tenant else {
        return Err(ApiError::NotFound("there is no tenant with that slug".into()));
    };
    let Some(config) = tenants::widget_config(&state.db.pool, &tenant.id).await? else {
        return Err(ApiError::NotFound(format!(
            "tenant {} has no widget configuration yet: an administrator saves one in the admin UI (Widget configuration)",
            tenant.slug
        )));
    };
    let mut response = ([(header::CONTENT_TYPE, "application/json")], config).into_response();
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(response)
}
