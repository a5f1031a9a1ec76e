//! The audit log: who changed what and when, in words, never with a secret's value.

use serde::Serialize;
use sqlx::{AnyConnection, AnyPool, Row};

use crate::clock;
use crate::random;

/// One line of the audit log.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLine {
    /// When (RFC 3339).
    pub at: String,
    /// Who: a username, or `system`.
    pub actor: String,
    /// What was done (`account.create`, `account.secret.replace`…).
    pub action: String,
    /// What it was done to (an account's or person's name).
    pub target: String,
    /// Which fields changed, or the outcome.
    pub detail: String,
}

/// Records one line of `tenant`'s log, as part of the caller's transaction.
pub async fn record(
    conn: &mut AnyConnection,
    tenant: &str,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(random::id())
    .bind(tenant)
    .bind(clock::now_ms())
    .bind(actor)
    .bind(action)
    .bind(target)
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// `tenant`'s newest `limit` lines, newest first.
pub async fn latest(pool: &AnyPool, tenant: &str, limit: i64) -> Result<Vec<AuditLine>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at, actor, action, target, detail FROM audit_log WHERE tenant_id = $1 ORDER BY at DESC, id LIMIT $2",
    )
    .bind(tenant)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditLine {
                at: clock::rfc3339(row.try_get("at")?),
                actor: row.try_get("actor")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}
