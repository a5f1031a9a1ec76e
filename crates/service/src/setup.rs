//! The first administrator: while there is none, each start of the service issues a one-time
//! setup token (valid 24 h, printed once, kept only as a hash); the first to be used creates
//! the administrator and voids every other.

use sqlx::{AnyPool, Row};

use crate::clock;
use crate::people::{self, Role};
use crate::random;

/// How long a setup token is valid.
pub const LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// A new setup token when there is no administrator yet, else `None`.
pub async fn issue_if_needed(pool: &AnyPool) -> Result<Option<String>, sqlx::Error> {
    if people::admin_count(pool).await? > 0 {
        return Ok(None);
    }
    let token = random::token();
    sqlx::query("INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)")
        .bind(random::token_hash(&token))
        .bind(clock::now_ms() + LIFETIME_MS)
        .execute(pool)
        .await?;
    Ok(Some(token))
}

/// Why the first administrator was not created.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// There already is an administrator.
    #[error("the service already has an administrator: sign in instead")]
    Done,
    /// The token is wrong, used or expired.
    #[error("the setup token is not valid: use the one printed at the service's latest start (valid 24 hours, once)")]
    BadToken,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Spends `token` and creates the first administrator, in one transaction.
pub async fn create_first_admin(
    pool: &AnyPool,
    token: &str,
    username: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<String, SetupError> {
    let mut tx = pool.begin().await?;
    let admins: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM people WHERE role = 'admin'").fetch_one(&mut *tx).await?.try_get("n")?;
    if admins > 0 {
        return Err(SetupError::Done);
    }
    let spent = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2")
        .bind(random::token_hash(token))
        .bind(clock::now_ms())
        .execute(&mut *tx)
        .await?;
    if spent.rows_affected() != 1 {
        return Err(SetupError::BadToken);
    }
    sqlx::query("DELETE FROM setup_tokens").execute(&mut *tx).await?;
    let id = random::id();
    let now = clock::now_ms();
    sqlx::query(
        "INSERT INTO people (id, username, display_name, role, password_hash, sip_user, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $6)",
    )
    .bind(&id)
    .bind(username)
    .bind(display_name)
    .bind(Role::Admin.as_str())
    .bind(password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, username, "setup.first-admin", username, "created with the setup token").await?;
    tx.commit().await?;
    Ok(id)
}
