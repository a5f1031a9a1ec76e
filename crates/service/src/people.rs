//! Administrators and agents: who they are, their role, their local password, and for agents
//! the SIP user they register as.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::clock;

/// What a person may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages people and integration accounts in the admin UI.
    Admin,
    /// Uses the widget: gets CRM tokens, hands over call logs.
    Agent,
}

impl Role {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    fn parse(text: &str) -> Role {
        if text == "admin" { Role::Admin } else { Role::Agent }
    }
}

/// A person as the API shows them (never the password hash).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// Their id.
    pub id: String,
    /// What they sign in with.
    pub username: String,
    /// Their name as shown.
    pub display_name: String,
    /// Admin or agent.
    pub role: Role,
    /// Agents: their SIP user.
    pub sip_user: Option<String>,
    /// The e-mail address the identity provider sent when they were created at their first
    /// single sign-on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether a local password is set.
    pub has_password: bool,
    /// When created (RFC 3339).
    pub created_at: String,
    /// When last changed (RFC 3339).
    pub updated_at: String,
    /// The tenant they belong to (every route works within it).
    #[serde(skip)]
    pub tenant_id: String,
}

/// The columns [`Person::from_row`] reads.
pub const COLUMNS: &str =
    "id, tenant_id, username, display_name, role, sip_user, email, password_hash, created_at, updated_at";

impl Person {
    /// The person in a row selected with [`COLUMNS`].
    pub fn from_row(row: &AnyRow) -> Result<Person, sqlx::Error> {
        let hash: Option<String> = row.try_get("password_hash")?;
        Ok(Person {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: Role::parse(&row.try_get::<String, _>("role")?),
            sip_user: row.try_get("sip_user")?,
            email: row.try_get("email")?,
            has_password: hash.is_some(),
            created_at: clock::rfc3339(row.try_get("created_at")?),
            updated_at: clock::rfc3339(row.try_get("updated_at")?),
            tenant_id: row.try_get("tenant_id")?,
        })
    }
}

/// Why a username or SIP user is refused, or `None`.
pub fn name_refusal(what: &str, value: &str) -> Option<String> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@+".contains(&b));
    (!ok).then(|| format!("the {what} must have 1 to 64 letters, digits or . _ - @ +"))
}

/// The person signing in as `username`, with their password hash.
pub async fn by_username(pool: &AnyPool, username: &str) -> Result<Option<(Person, Option<String>)>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE username = $1"))
        .bind(username)
        .fetch_optional(pool)
        .await?;
    row.map(|row| Ok((Person::from_row(&row)?, row.try_get("password_hash")?))).transpose()
}

/// Everyone of `tenant`, by username.
pub async fn all(pool: &AnyPool, tenant: &str) -> Result<Vec<Person>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE tenant_id = $1 ORDER BY username"))
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    rows.iter().map(Person::from_row).collect()
}

/// The person of `tenant` with `id`.
pub async fn by_id(pool: &AnyPool, tenant: &str, id: &str) -> Result<Option<Person>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE id = $1 AND tenant_id = $2"))
        .bind(id)
        .bind(tenant)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(Person::from_row).transpose()
}

/// The person with `id`, whatever their tenant (for a sign-in already scoped).
pub async fn by_id_anywhere(pool: &AnyPool, id: &str) -> Result<Option<Person>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM people WHERE id = $1")).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(Person::from_row).transpose()
}

/// How many administrators `tenant` has.
pub async fn admin_count(conn: impl sqlx::any::AnyExecutor<'_>, tenant: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM people WHERE role = 'admin' AND tenant_id = $1")
        .bind(tenant)
        .fetch_one(conn)
        .await?
        .try_get("n")
}
