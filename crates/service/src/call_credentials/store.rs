//! A tenant's call-credential secrets in the database: the settings as JSON, the secret sealed
//! under the master key and bound to its tenant and kind.

use sqlx::{AnyConnection, AnyPool, Row};

use super::{Kind, Settings};
use crate::accounts::FieldError;
use crate::accounts::store::StoreError;
use crate::clock;
use crate::master_key::{Keyring, Sealed};
use crate::secret::Secret;

/// Where a secret is sealed: the associated data that binds it to its tenant and kind.
fn place(tenant: &str, kind: Kind) -> String {
    format!("tenants/{tenant}/call-credentials/{}", kind.name())
}

/// What is set for one kind, without its secret.
#[derive(Clone, Debug)]
pub struct Configured {
    /// The settings.
    pub settings: Settings,
    /// When last changed (ms since 1970).
    pub updated_at: i64,
}

/// The settings of `kind` for `tenant`, if any.
pub async fn configured(pool: &AnyPool, tenant: &str, kind: Kind) -> Result<Option<Configured>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM call_credential_secrets WHERE tenant_id = $1 AND kind = $2"))
        .bind(tenant)
        .bind(kind.name())
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Configured {
        settings: parse_settings(&row.try_get::<String, _>("settings")?)?,
        updated_at: row.try_get("updated_at")?,
    }))
}

/// Every kind set for `tenant` (one read: an issue needs both), with its opened secret.
pub async fn with_secrets(
    pool: &AnyPool,
    keys: &Keyring,
    tenant: &str,
) -> Result<Vec<(Kind, Settings, Secret)>, StoreError> {
    let rows = sqlx::query(&format!("SELECT kind, {COLUMNS} FROM call_credential_secrets WHERE tenant_id = $1"))
        .bind(tenant)
        .fetch_all(pool)
        .await?;
    let mut set = Vec::new();
    for row in rows {
        let Some(kind) = Kind::parse(&row.try_get::<String, _>("kind")?) else { continue };
        let settings = parse_settings(&row.try_get::<String, _>("settings")?)?;
        let sealed = Sealed { key_id: row.try_get("key_id")?, sealed: row.try_get("sealed")? };
        set.push((kind, settings, keys.open(&place(tenant, kind), &sealed)?));
    }
    Ok(set)
}

/// The columns [`configured`] and [`with_secrets`] read.
const COLUMNS: &str = "settings, updated_at, key_id, sealed";

fn parse_settings(text: &str) -> Result<Settings, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Field(FieldError::new("settings", e.to_string())))
}

/// Sets `kind` for `tenant`: the settings, and the secret when one is given (else the stored
/// one stays; refused when none is stored yet).
pub async fn save(
    conn: &mut AnyConnection,
    keys: &Keyring,
    tenant: &str,
    kind: Kind,
    settings: &Settings,
    secret: Option<&Secret>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(settings).unwrap_or_default();
    let now = clock::now_ms();
    let Some(secret) = secret else {
        let updated = sqlx::query(
            "UPDATE call_credential_secrets SET settings = $1, updated_at = $2 WHERE tenant_id = $3 AND kind = $4",
        )
        .bind(json)
        .bind(now)
        .bind(tenant)
        .bind(kind.name())
        .execute(conn)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(FieldError::new("secret", "is required: none is stored yet").into());
        }
        return Ok(());
    };
    let Sealed { key_id, sealed } = keys.seal(&place(tenant, kind), secret);
    sqlx::query(
        "INSERT INTO call_credential_secrets (tenant_id, kind, settings, key_id, sealed, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, kind) DO UPDATE SET settings = excluded.settings, \
         key_id = excluded.key_id, sealed = excluded.sealed, updated_at = excluded.updated_at",
    )
    .bind(tenant)
    .bind(kind.name())
    .bind(json)
    .bind(key_id)
    .bind(sealed)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stops minting `kind` for `tenant`; whether anything was set.
pub async fn remove(conn: &mut AnyConnection, tenant: &str, kind: Kind) -> Result<bool, sqlx::Error> {
    let removed = sqlx::query("DELETE FROM call_credential_secrets WHERE tenant_id = $1 AND kind = $2")
        .bind(tenant)
        .bind(kind.name())
        .execute(conn)
        .await?;
    Ok(removed.rows_affected() > 0)
}
