//! A tenant's first administrator: while a tenant has none, each start of the service (and the
//! command that adds a tenant) issues a one-time setup token for it (valid 24 h, printed once,
//! kept only as a hash); the first to be used creates the administrator and voids the tenant's
//! others.

use crate::database::begin_writing;
use sqlx::{AnyPool, Row};

use crate::clock;
use crate::people::{self, Role};
use crate::random;

/// How long a setup token is valid.
pub const LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// A new setup token for `tenant` when it has no administrator yet, else `None`.
pub async fn issue_if_needed(pool: &AnyPool, tenant: &str) -> Result<Option<String>, sqlx::Error> {
    if people::admin_count(pool, tenant).await? > 0 {
        return Ok(None);
    }
    let token = random::token();
    sqlx::query("INSERT INTO setup_tokens (token_hash, tenant_id, expires_at) VALUES ($1, $2, $3)")
        .bind(random::token_hash(&token))
        .bind(tenant)
        .bind(clock::now_ms() + LIFETIME_MS)
        .execute(pool)
        .await?;
    Ok(Some(token))
}

/// A setup token for each tenant without an administrator: (tenant slug, token).
pub async fn issue_where_needed(pool: &AnyPool) -> Result<Vec<(String, String)>, sqlx::Error> {
    let mut issued = Vec::new();
    for tenant in crate::tenants::all(pool).await? {
        if let Some(token) = issue_if_needed(pool, &tenant.id).await? {
            issued.push((tenant.slug, token));
        }
    }
    Ok(issued)
}

/// Why the first administrator was not created.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The token's tenant already has an administrator.
    #[error("this tenant already has an administrator: sign in instead")]
    Done,
    /// The token is wrong, used or expired.
    #[error(
        "the setup token is not valid: use the newest one printed for the tenant (at the service's start or by add-tenant; valid 24 hours, once)"
    )]
    BadToken,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Spends `token` and creates its tenant's first administrator, in one transaction: the new
/// person's id and tenant.
pub async fn create_first_admin(
    pool: &AnyPool,
    token: &str,
    username: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<(String, String), SetupError> {
    let mut tx = begin_writing(pool).await?;
    let spent = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING tenant_id")
        .bind(random::token_hash(token))
        .bind(clock::now_ms())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(spent) = spent else { return Err(SetupError::BadToken) };
    let tenant: String = spent.try_get("tenant_id")?;
    if people::admin_count(&mut *tx, &tenant).await? > 0 {
        return Err(SetupError::Done);
    }
    sqlx::query("DELETE FROM setup_tokens WHERE tenant_id = $1").bind(&tenant).execute(&mut *tx).await?;
    let id = random::id();
    let now = clock::now_ms();
    sqlx::query(
        "INSERT INTO people (id, tenant_id, username, display_name, role, password_hash, sip_user, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $7)",
    )
    .bind(&id)
    .bind(&tenant)
    .bind(username)
    .bind(display_name)
    .bind(Role::Admin.as_str())
    .bind(password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, &tenant, username, "setup.first-admin", username, "created with the setup token")
        .await?;
    tx.commit().await?;
    Ok((id, tenant))
}
