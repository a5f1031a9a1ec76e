//! The API's errors: a status and a JSON body `{"error": code, "message": words, "field"?}`.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::accounts::FieldError;
use crate::accounts::store::StoreError;

/// The body of every refusal.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// A code: `invalid`, `invalid_config`, `unauthenticated`, `bad_credentials`, `forbidden`,
    /// `csrf`, `not_found`, `conflict`, `rate_limited`, `upstream`, `internal`.
    error: String,
    /// What is wrong, in words to act on.
    message: String,
    /// The field at fault (`settings.instanceUrl`), when one is.
    field: Option<String>,
    /// `invalid_config`: every problem of the widget configuration, each with its key's path.
    problems: Option<Vec<String>>,
}

/// What went wrong with a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field is missing or wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// No valid session or bearer token.
    #[error("sign in first (no valid session or token)")]
    Unauthenticated,
    /// The username or password is wrong (which one is never said).
    #[error("the username or password is not right")]
    BadCredentials,
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// A change without the session's CSRF token.
    #[error("the request lacks the session's X-CSRF-Token: reload the admin page")]
    Csrf,
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// It conflicts with what exists.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts.
    #[error("too many attempts: try again in {} s", .0.as_secs().max(1))]
    TooMany(Duration),
    /// The CRM refused or failed.
    #[error("{0}")]
    Upstream(String),
    /// A widget configuration the widget's own reader refuses: each problem with its key's path.
    #[error("the widget configuration has {} problem(s): {}", .0.len(), .0.join("; "))]
    WidgetConfig(Vec<String>),
    /// Something the caller cannot fix; details are in the service's log.
    #[error("the service failed ({0}); the details are in its log")]
    Internal(&'static str),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Field(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Upstream(_) => (StatusCode::BAD_GATEWAY, "upstream"),
            ApiError::WidgetConfig(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_config"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "database");
        ApiError::Internal("database")
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound(error.to_string()),
            StoreError::NameTaken(_) => ApiError::Conflict(error.to_string()),
            StoreError::Field(field) => ApiError::Field(field),
            StoreError::Open(open) => {
                tracing::error!(error = %open, "a stored secret does not open");
                ApiError::Conflict(format!("a stored secret cannot be read: {open}"))
            }
            StoreError::Database(db) => db.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut body = serde_json::json!({ "error": code, "message": self.to_string() });
        if let ApiError::Field(field) = &self {
            body["field"] = field.field.clone().into();
        }
        if let ApiError::WidgetConfig(problems) = &self {
            body["field"] = "config".into();
            body["problems"] = problems.clone().into();
        }
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooMany(wait) = self
            && let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
