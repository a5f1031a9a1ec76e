//! The call-log routes: an agent's widget hands over a finished call's log (and asks where it
//! stands); an administrator lists logs and queues a refused one again.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use framephone::activity::{CallLog, clean_notes};
use serde::Deserialize;

use super::AppState;
use super::auth::{Admin, Agent};
use super::error::{ApiError, ErrorBody};
use crate::accounts::{FieldError, Kind, fields};
use crate::outbox::{self, LogStatus};

/// `POST /api/call-logs`' body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOver {
    /// `servicenow` or `salesforce`.
    kind: String,
    /// The call's log, as the widget describes it: `call_id`, `agent`, `direction`
    /// (`Inbound`, `Outbound`), `number`, `party`, `started` (ms), `seconds`, `outcome`,
    /// `disposition`, `notes`, `record` (`{object, id, name}`).
    #[schema(value_type = Object)]
    log: CallLog,
}

fn kind_of(text: &str) -> Result<Kind, FieldError> {
    Kind::parse(text).ok_or_else(|| FieldError::new("kind", format!("must be servicenow or salesforce, not {text:?}")))
}

/// Checks the fields that become keys and URLs; the rest the CRM request builders encode.
fn checked(mut log: CallLog) -> Result<CallLog, FieldError> {
    fields::required("log.call_id", &log.call_id, 256)?;
    fields::required("log.agent", &log.agent, 64)?;
    for (field, value) in [("log.number", &log.number), ("log.party", &log.party)] {
        if value.chars().count() > 256 || value.chars().any(char::is_control) {
            return Err(FieldError::new(field, "must have at most 256 characters and no control characters"));
        }
    }
    log.notes = clean_notes(&log.notes);
    Ok(log)
}

/// `POST /api/call-logs`: the agent's own log of a finished call, queued for the CRM.
#[utoipa::path(post, path = "/api/call-logs", tag = "call logs", summary = "Queues the agent's own call log for the CRM", request_body = HandOver, responses((status = 202, description = "Queued", body = LogStatus), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("agentBearer" = [])))]
pub async fn hand_over(
    State(state): State<AppState>,
    agent: Agent,
    Json(request): Json<HandOver>,
) -> Result<(StatusCode, Json<LogStatus>), ApiError> {
    let kind = kind_of(&request.kind)?;
    let log = checked(request.log)?;
    if agent.person.sip_user.as_deref() != Some(log.agent.as_str()) {
        return Err(ApiError::Forbidden(format!(
            "{} may hand over only logs of their own SIP user",
            agent.person.username
        )));
    }
    let status = outbox::hand_over(&state.db.pool, &agent.person.tenant_id, kind, &log).await?;
    state.outbox_wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(status)))
}

/// `GET /api/call-logs/{call_id}?kind=`'s query.
#[derive(Deserialize)]
pub struct KindQuery {
    kind: String,
}

/// `GET /api/call-logs/{call_id}?kind=servicenow`: where the agent's own log stands.
#[utoipa::path(get, path = "/api/call-logs/{id}", tag = "call logs", summary = "Where the agent's log of a call stands (id: the SIP Call-ID)", params(("id" = String, Path, description = "The SIP Call-ID"), ("kind" = String, Query, description = "servicenow or salesforce")), responses((status = 200, description = "Done", body = LogStatus), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("agentBearer" = [])))]
pub async fn status(
    State(state): State<AppState>,
    agent: Agent,
    Path(call_id): Path<String>,
    Query(query): Query<KindQuery>,
) -> Result<Json<LogStatus>, ApiError> {
    let kind = kind_of(&query.kind)?;
    let sip_user = agent.person.sip_user.unwrap_or_default();
    outbox::status(&state.db.pool, &agent.person.tenant_id, kind, &sip_user, &call_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no log of that call was handed over".into()))
}

/// `GET /api/call-logs?state=`'s query.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    state: Option<String>,
}

/// `GET /api/call-logs`: the newest 200 logs, or those in one state.
#[utoipa::path(get, path = "/api/call-logs", tag = "call logs", summary = "The newest 200 logs, or those in one state", params(("state" = Option<String>, Query, description = "queued, delivered or refused")), responses((status = 200, description = "Done", body = Object), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Query(query): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Some(wanted) = query.state.as_deref()
        && !["queued", "delivered", "refused"].contains(&wanted)
    {
        return Err(FieldError::new("state", "must be queued, delivered or refused").into());
    }
    let logs = outbox::latest(&state.db.pool, &admin.tenant_id, query.state.as_deref(), 200).await?;
    Ok(Json(serde_json::json!({ "logs": logs })))
}

/// `POST /api/call-logs/{id}/retry`: a refused log is queued again once its cause is mended.
#[utoipa::path(post, path = "/api/call-logs/{id}/retry", tag = "call logs", summary = "Queues a refused log again", params(("id" = String, Path, description = "The id")), responses((status = 204, description = "Queued again"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn retry(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !outbox::retry(&state.db.pool, &admin.tenant_id, &id).await? {
        return Err(ApiError::NotFound("there is no refused log with that id".into()));
    }
    let mut conn = state.db.pool.acquire().await?;
    crate::audit::record(&mut conn, &admin.tenant_id, &admin.username, "call-log.retry", &id, "queued again").await?;
    state.outbox_wake.notify_one();
    Ok(StatusCode::NO_CONTENT)
}
