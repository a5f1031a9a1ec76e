//! Signed-in sessions. An administrator's is a cookie (HttpOnly, SameSite=Strict) plus a CSRF
//! token the admin UI sends in a header on every change; an agent's is a short-lived bearer
//! token the widget keeps in memory (no third-party cookie is ever needed inside a CRM frame).
//! The database keeps only the SHA-256 of each token; the CSRF token is derived from the
//! session's (a page of another site can read neither: the cookie is HttpOnly and the API
//! answers no other origin).

use sqlx::{AnyPool, Row};

use crate::clock;
use crate::people::{self, Person};
use crate::random;

/// How long an administrator's session lasts.
pub const ADMIN_LIFETIME_MS: i64 = 8 * 3600 * 1000;
/// How long an agent's bearer token lasts; the widget renews it before then.
pub const AGENT_LIFETIME_MS: i64 = 15 * 60 * 1000;
/// How long an agent may keep renewing without signing in again (a long shift).
pub const AGENT_SHIFT_MS: i64 = 12 * 3600 * 1000;

/// Which kind of session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Admin UI: cookie and CSRF token.
    Admin,
    /// Widget: bearer token.
    Agent,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Admin => "admin",
            Kind::Agent => "agent",
        }
    }
}

/// A new session's tokens, handed to the client once.
pub struct Issued {
    /// The cookie value or bearer token.
    pub token: String,
    /// When it expires (ms since 1970).
    pub expires_at: i64,
}

/// A session found by its token.
pub struct Found {
    /// Who.
    pub person: Person,
    /// When the shift that issued it began (ms), for renewals.
    pub signed_in_at: i64,
}

/// Starts a session for `person`; `signed_in_at` is now for a sign-in, or the original sign-in
/// for a renewal.
pub async fn start(pool: &AnyPool, person: &Person, kind: Kind, signed_in_at: i64) -> Result<Issued, sqlx::Error> {
    let now = clock::now_ms();
    let token = random::token();
    let expires_at = match kind {
        Kind::Admin => now + ADMIN_LIFETIME_MS,
        Kind::Agent => (now + AGENT_LIFETIME_MS).min(signed_in_at + AGENT_SHIFT_MS),
    };
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, person_id, kind, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(random::token_hash(&token))
    .bind(&person.id)
    .bind(kind.as_str())
    .bind(signed_in_at)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(Issued { token, expires_at })
}

/// The live session of `kind` with `token`, if any.
pub async fn find(pool: &AnyPool, token: &str, kind: Kind) -> Result<Option<Found>, sqlx::Error> {
    let columns = people::COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
    let row = sqlx::query(&format!(
        "SELECT {columns}, s.created_at AS signed_in_at FROM sessions s JOIN people p ON p.id = s.person_id \
         WHERE s.token_hash = $1 AND s.kind = $2 AND s.expires_at > $3"
    ))
    .bind(random::token_hash(token))
    .bind(kind.as_str())
    .bind(clock::now_ms())
    .fetch_optional(pool)
    .await?;
    row.map(|row| Ok(Found { person: Person::from_row(&row)?, signed_in_at: row.try_get("signed_in_at")? })).transpose()
}

/// Ends the session with `token`.
pub async fn end(pool: &AnyPool, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(random::token_hash(token)).execute(pool).await?;
    Ok(())
}

/// Ends every session of `person_id` (password changed, person removed or demoted).
pub async fn end_all(conn: &mut sqlx::AnyConnection, person_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person_id).execute(conn).await?;
    Ok(())
}

/// The CSRF token of the admin session with `token`: the admin UI sends it in `X-CSRF-Token`
/// with every change.
pub fn csrf_of(token: &str) -> String {
    random::token_hash(&format!("csrf:{token}"))
}
