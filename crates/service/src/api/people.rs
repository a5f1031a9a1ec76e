//! The first administrator (setup) and the people routes: administrators and agents with local
//! passwords, agents mapped to their SIP user.

use crate::database::begin_writing;
use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use sqlx::Row;

use super::AppState;
use super::auth::Admin;
use super::error::{ApiError, ErrorBody};
use crate::accounts::FieldError;
use crate::audit;
use crate::clock;
use crate::password;
use crate::people::{self, Person, Role};
use crate::random;
use crate::rate_limit;
use crate::secret::Secret;
use crate::sessions;
use crate::setup::{self, SetupError};

/// `POST /api/setup`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetupRequest {
    #[schema(value_type = String)]
    setup_token: Secret,
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    #[schema(value_type = String)]
    password: Secret,
}

/// `POST /api/setup`: the first administrator, with the token printed at start.
#[utoipa::path(post, path = "/api/setup", tag = "people", summary = "The first administrator, with the setup token printed at start", request_body = SetupRequest, responses((status = 201, description = "Created", body = Person), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)))]
pub async fn first_admin(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(request): Json<SetupRequest>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    state
        .limits
        .attempt(&format!("setup ip {}", client.ip()), rate_limit::SIGN_IN_PER_CLIENT)
        .map_err(ApiError::TooMany)?;
    check_name("username", &request.username)?;
    if let Some(refusal) = password::refusal(&request.password, &request.username) {
        return Err(FieldError::new("password", refusal).into());
    }
    if people::by_username(&state.db.pool, &request.username).await?.is_some() {
        return Err(ApiError::Conflict(format!("username: {} is taken", request.username)));
    }
    let display_name = request.display_name.unwrap_or_else(|| request.username.clone());
    let hash = password::hash(request.password).await;
    let (id, tenant) = setup::create_first_admin(
        &state.db.pool,
        request.setup_token.expose(),
        &request.username,
        &display_name,
        &hash,
    )
    .await
    .map_err(|e| match e {
        SetupError::Done => ApiError::Conflict(e.to_string()),
        SetupError::BadToken => ApiError::Forbidden(e.to_string()),
        SetupError::Database(db) => db.into(),
    })?;
    tracing::info!(username = %request.username, "first administrator created");
    let person = people::by_id(&state.db.pool, &tenant, &id).await?.ok_or(ApiError::Internal("setup"))?;
    Ok((StatusCode::CREATED, Json(person)))
}

fn check_name(field: &str, value: &str) -> Result<(), FieldError> {
    match people::name_refusal(field, value) {
        Some(refusal) => Err(FieldError::new(field, refusal)),
        None => Ok(()),
    }
}

/// `GET /api/people`.
#[utoipa::path(get, path = "/api/people", tag = "people", summary = "Everyone", responses((status = 200, description = "Done", body = [Person]), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn list(State(state): State<AppState>, Admin(admin): Admin) -> Result<Json<Vec<Person>>, ApiError> {
    Ok(Json(people::all(&state.db.pool, &admin.tenant_id).await?))
}

/// A new person, or the fields of a change that are present.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonRequest {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    password: Option<Secret>,
    /// `null` removes the SIP user.
    #[serde(default, with = "nullable")]
    #[schema(value_type = Option<String>)]
    sip_user: Option<Option<String>>,
}

/// A field that may be absent (leave it), `null` (clear it) or a value.
mod nullable {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(deserializer).map(Some)
    }
}

async fn sip_user_free(state: &AppState, tenant: &str, sip_user: &str, except: &str) -> Result<(), ApiError> {
    let taken = sqlx::query("SELECT username FROM people WHERE tenant_id = $3 AND sip_user = $1 AND id <> $2")
        .bind(sip_user)
        .bind(except)
        .bind(tenant)
        .fetch_optional(&state.db.pool)
        .await?;
    match taken {
        Some(row) => {
            let owner: String = row.try_get("username")?;
            Err(FieldError::new("sipUser", format!("SIP user {sip_user} is already {owner}'s")).into())
        }
        None => Ok(()),
    }
}

/// `POST /api/people`: a new administrator or agent.
#[utoipa::path(post, path = "/api/people", tag = "people", summary = "A new administrator or agent", request_body = PersonRequest, responses((status = 201, description = "Created", body = Person), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Json(request): Json<PersonRequest>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    let username = request.username.ok_or_else(|| FieldError::new("username", "is required"))?;
    check_name("username", &username)?;
    let role = request.role.ok_or_else(|| FieldError::new("role", "is required: admin or agent"))?;
    let sip_user = request.sip_user.flatten();
    if let Some(sip_user) = &sip_user {
        check_name("sipUser", sip_user)?;
        sip_user_free(&state, &admin.tenant_id, sip_user, "").await?;
    }
    if role == Role::Agent && sip_user.is_none() {
        return Err(FieldError::new("sipUser", "is required for an agent: the SIP user the phone registers as").into());
    }
    let hash = match request.password {
        Some(password) => {
            if let Some(refusal) = password::refusal(&password, &username) {
                return Err(FieldError::new("password", refusal).into());
            }
            Some(password::hash(password).await)
        }
        None => None,
    };
    if people::by_username(&state.db.pool, &username).await?.is_some() {
        return Err(ApiError::Conflict(format!("username: {username} is taken")));
    }
    let id = random::id();
    let now = clock::now_ms();
    let mut tx = begin_writing(&state.db.pool).await?;
    sqlx::query(
        "INSERT INTO people (id, tenant_id, username, display_name, role, password_hash, sip_user, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(&admin.tenant_id)
    .bind(&username)
    .bind(request.display_name.unwrap_or_else(|| username.clone()))
    .bind(role.as_str())
    .bind(hash)
    .bind(sip_user)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "person.create", &username, role.as_str()).await?;
    tx.commit().await?;
    let person = people::by_id(&state.db.pool, &admin.tenant_id, &id).await?.ok_or(ApiError::Internal("people"))?;
    Ok((StatusCode::CREATED, Json(person)))
}

/// `PATCH /api/people/{id}`: a new display name, role, password or SIP user. A new password or
/// role ends the person's sessions.
#[utoipa::path(patch, path = "/api/people/{id}", tag = "people", summary = "A new display name, role, password or SIP user", params(("id" = String, Path, description = "The id")), request_body = PersonRequest, responses((status = 200, description = "Done", body = Person), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    Json(request): Json<PersonRequest>,
) -> Result<Json<Person>, ApiError> {
    let current = people::by_id(&state.db.pool, &admin.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("there is no such person".into()))?;
    if request.username.as_deref().is_some_and(|u| u != current.username) {
        return Err(FieldError::new("username", "cannot change: create a new person instead").into());
    }
    let role = request.role.unwrap_or(current.role);
    if current.role == Role::Admin
        && role != Role::Admin
        && people::admin_count(&state.db.pool, &admin.tenant_id).await? <= 1
    {
        return Err(ApiError::Conflict("this is the last administrator: make another one first".into()));
    }
    let sip_user = match request.sip_user {
        Some(value) => value,
        None => current.sip_user.clone(),
    };
    if let Some(sip_user) = &sip_user {
        check_name("sipUser", sip_user)?;
        sip_user_free(&state, &admin.tenant_id, sip_user, &id).await?;
    }
    if role == Role::Agent && sip_user.is_none() {
        return Err(FieldError::new("sipUser", "is required for an agent").into());
    }
    let mut changed = Vec::new();
    let mut tx = begin_writing(&state.db.pool).await?;
    if let Some(password) = request.password {
        if let Some(refusal) = password::refusal(&password, &current.username) {
            return Err(FieldError::new("password", refusal).into());
        }
        let hash = password::hash(password).await;
        sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        changed.push("password");
    }
    if let Some(name) = &request.display_name {
        sqlx::query("UPDATE people SET display_name = $1 WHERE id = $2").bind(name).bind(&id).execute(&mut *tx).await?;
        changed.push("displayName");
    }
    if role != current.role {
        changed.push("role");
    }
    if sip_user != current.sip_user {
        changed.push("sipUser");
    }
    sqlx::query("UPDATE people SET role = $1, sip_user = $2, updated_at = $3 WHERE id = $4")
        .bind(role.as_str())
        .bind(&sip_user)
        .bind(clock::now_ms())
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    if changed.contains(&"password") || changed.contains(&"role") {
        sessions::end_all(&mut tx, &id).await?;
    }
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "person.update", &current.username, &changed.join(", "))
        .await?;
    tx.commit().await?;
    Ok(Json(people::by_id(&state.db.pool, &admin.tenant_id, &id).await?.ok_or(ApiError::Internal("people"))?))
}

/// `DELETE /api/people/{id}`: never oneself, never the last administrator.
#[utoipa::path(delete, path = "/api/people/{id}", tag = "people", summary = "Deletes a person (never oneself or the last administrator)", params(("id" = String, Path, description = "The id")), responses((status = 204, description = "Deleted"), (status = "4XX", description = "Refused: the body says why", body = ErrorBody)), security(("adminSession" = [], "csrfToken" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let current = people::by_id(&state.db.pool, &admin.tenant_id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("there is no such person".into()))?;
    if current.id == admin.id {
        return Err(ApiError::Conflict("you cannot delete yourself: ask another administrator".into()));
    }
    if current.role == Role::Admin && people::admin_count(&state.db.pool, &admin.tenant_id).await? <= 1 {
        return Err(ApiError::Conflict("this is the last administrator".into()));
    }
    let mut tx = begin_writing(&state.db.pool).await?;
    sessions::end_all(&mut tx, &id).await?;
    sqlx::query("DELETE FROM people WHERE id = $1").bind(&id).execute(&mut *tx).await?;
    let role = current.role.as_str();
    audit::record(&mut tx, &admin.tenant_id, &admin.username, "person.delete", &current.username, role).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
