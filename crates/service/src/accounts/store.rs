//! Integration accounts in the database: their fields as JSON, their secrets sealed one row per
//! secret, one default per kind, and an audit line for every change.

use crate::database::begin_writing;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use super::{FieldError, Kind, REFRESH_TOKEN, Settings};
use crate::audit;
use crate::clock;
use crate::master_key::{Keyring, OpenError, Sealed};
use crate::random;
use crate::secret::Secret;

/// A refresh token closer than this to its expiry is flagged.
pub const EXPIRY_WARNING_MS: i64 = 14 * 24 * 3600 * 1000;
/// The longest secret accepted (a 4096-bit private key in PEM is about 3.3 KB).
const MAX_SECRET_BYTES: usize = 16 * 1024;

/// Whether a secret is set, and since when: all the API ever says of a secret.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretState {
    /// Whether a value is stored.
    pub set: bool,
    /// When it was last written (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// When the CRM stops accepting it, when known (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Whether that is less than 14 days away (or past).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_soon: Option<bool>,
}

/// An account as the API shows it.
#[derive(Clone, Debug)]
pub struct Account {
    /// Its id.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant_id: String,
    /// Its CRM.
    pub kind: Kind,
    /// Its name, unique.
    pub name: String,
    /// Whether it is its kind's default.
    pub default: bool,
    /// Its fields.
    pub settings: Settings,
    /// Its secrets' states, by name.
    pub secrets: Vec<(&'static str, SecretState)>,
    /// When created (RFC 3339).
    pub created_at: String,
    /// When last changed (RFC 3339).
    pub updated_at: String,
}

impl Account {
    /// The API's JSON of the account.
    pub fn to_json(&self) -> serde_json::Value {
        let secrets: serde_json::Map<String, serde_json::Value> =
            self.secrets.iter().map(|(name, state)| ((*name).to_owned(), serde_json::json!(state))).collect();
        serde_json::json!({
            "id": self.id, "kind": self.kind, "name": self.name, "default": self.default,
            "settings": self.settings.to_json(), "secrets": secrets,
            "createdAt": self.created_at, "updatedAt": self.updated_at,
        })
    }

    /// The Salesforce fields, for a Salesforce account.
    pub fn salesforce(&self) -> Option<&super::SalesforceSettings> {
        match &self.settings {
            Settings::Salesforce(s) => Some(s),
            Settings::Servicenow(_) => None,
        }
    }

    /// The ServiceNow fields, for a ServiceNow account.
    pub fn servicenow(&self) -> Option<&super::ServiceNowSettings> {
        match &self.settings {
            Settings::Servicenow(s) => Some(s),
            Settings::Salesforce(_) => None,
        }
    }
}

/// Why an account change failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No account has that id.
    #[error("there is no integration account with that id")]
    NotFound,
    /// Another account has the name.
    #[error("name: another integration account is already named {0:?}")]
    NameTaken(String),
    /// A field is wrong.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A stored secret does not open.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Where a secret is sealed: the associated data that binds it to its row and column.
fn place(account_id: &str, name: &str) -> String {
    format!("integration_accounts/{account_id}/{name}")
}

/// Checks a secret an administrator writes.
pub fn check_secret(kind: Kind, name: &str, value: &Secret) -> Result<&'static str, FieldError> {
    let field = format!("secrets.{name}");
    let Some((known, writable)) = kind.secrets().iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = kind.secrets().iter().filter(|(_, w)| *w).map(|(n, _)| *n).collect();
        return Err(FieldError::new(&field, format!("{} accounts keep only {}", kind.as_str(), names.join(" and "))));
    };
    if !writable {
        return Err(FieldError::new(&field, "is obtained by the account's sign-in action; it cannot be typed"));
    }
    if value.expose().trim().is_empty() {
        return Err(FieldError::new(&field, "is empty: to keep the current value, leave the field out"));
    }
    if value.expose().len() > MAX_SECRET_BYTES {
        return Err(FieldError::new(&field, format!("must have at most {MAX_SECRET_BYTES} bytes")));
    }
    if *known == super::PRIVATE_KEY {
        super::salesforce::private_key(value)
            .map_err(|e| FieldError::new(&field, format!("must be a PEM RSA private key: {e}")))?;
    }
    Ok(known)
}

const COLUMNS: &str = "id, tenant_id, kind, name, is_default, settings, created_at, updated_at";

async fn from_row(conn: &mut AnyConnection, row: &AnyRow) -> Result<Account, StoreError> {
    let id: String = row.try_get("id")?;
    let kind_text: String = row.try_get("kind")?;
    let kind = Kind::parse(&kind_text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown account kind {kind_text:?}").into()))?;
    let settings_text: String = row.try_get("settings")?;
    let settings_json = serde_json::from_str(&settings_text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let settings = Settings::parse(kind, settings_json)?;
    let stored = sqlx::query("SELECT name, updated_at, expires_at FROM account_secrets WHERE account_id = $1")
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
    let now = clock::now_ms();
    let secrets = kind
        .secrets()
        .iter()
        .map(|(name, _)| {
            let row = stored.iter().find(|r| r.try_get::<String, _>("name").is_ok_and(|n| n == *name));
            let state = match row {
                None => SecretState { set: false, updated_at: None, expires_at: None, expires_soon: None },
                Some(row) => {
                    let expires: Option<i64> = row.try_get("expires_at").unwrap_or(None);
                    SecretState {
                        set: true,
                        updated_at: row.try_get("updated_at").ok().map(clock::rfc3339),
                        expires_at: expires.map(clock::rfc3339),
                        expires_soon: expires.map(|at| at - now < EXPIRY_WARNING_MS),
                    }
                }
            };
            (*name, state)
        })
        .collect();
    Ok(Account {
        id,
        tenant_id: row.try_get("tenant_id")?,
        kind,
        name: row.try_get("name")?,
        default: row.try_get::<i64, _>("is_default")? == 1,
        settings,
        secrets,
        created_at: clock::rfc3339(row.try_get("created_at")?),
        updated_at: clock::rfc3339(row.try_get("updated_at")?),
    })
}

/// Every account of `tenant`, by kind and name.
pub async fn list(pool: &AnyPool, tenant: &str) -> Result<Vec<Account>, StoreError> {
    let mut conn = pool.acquire().await?;
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM integration_accounts WHERE tenant_id = $1 ORDER BY kind, name"))
            .bind(tenant)
            .fetch_all(&mut *conn)
            .await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for row in &rows {
        accounts.push(from_row(&mut conn, row).await?);
    }
    Ok(accounts)
}

/// The account of `tenant` with `id`.
pub async fn get(pool: &AnyPool, tenant: &str, id: &str) -> Result<Account, StoreError> {
    let mut conn = pool.acquire().await?;
    get_in(&mut conn, tenant, id).await
}

/// The tenant the account with `id` belongs to (for the CRM's redirect, which comes without a
/// session).
pub async fn tenant_of(pool: &AnyPool, id: &str) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT tenant_id FROM integration_accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.try_get("tenant_id")?)
}

async fn get_in(conn: &mut AnyConnection, tenant: &str, id: &str) -> Result<Account, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM integration_accounts WHERE id = $1 AND tenant_id = $2"))
        .bind(id)
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(conn, &row).await
}

/// `tenant`'s default account of `kind`, if one is set.
pub async fn default_of(pool: &AnyPool, tenant: &str, kind: Kind) -> Result<Option<Account>, StoreError> {
    let mut conn = pool.acquire().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM integration_accounts WHERE tenant_id = $1 AND kind = $2 AND is_default = 1"
    ))
    .bind(tenant)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(from_row(&mut conn, &row).await?)),
        None => Ok(None),
    }
}

/// What an administrator writes: a new account, or the fields of a change that are present.
#[derive(Debug, Default)]
pub struct Change {
    /// A new name.
    pub name: Option<String>,
    /// Make it its kind's default (`true`), or not.
    pub default: Option<bool>,
    /// The complete new fields (the API merges a partial change into the current ones first).
    pub settings: Option<Settings>,
    /// Secrets to replace, checked with [`check_secret`].
    pub secrets: Vec<(&'static str, Secret)>,
}

impl Change {
    /// What the change touches, for the audit log: field names, never values.
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.name.is_some() {
            parts.push("name".to_owned());
        }
        if let Some(default) = self.default {
            parts.push(format!("default={default}"));
        }
        if self.settings.is_some() {
            parts.push("settings".to_owned());
        }
        parts.extend(self.secrets.iter().map(|(name, _)| format!("{name} replaced")));
        parts.join(", ")
    }
}

async fn name_free(conn: &mut AnyConnection, tenant: &str, name: &str, except: &str) -> Result<(), StoreError> {
    let taken = sqlx::query("SELECT id FROM integration_accounts WHERE tenant_id = $1 AND name = $2 AND id <> $3")
        .bind(tenant)
        .bind(name)
        .bind(except)
        .fetch_optional(&mut *conn)
        .await?;
    if taken.is_some() { Err(StoreError::NameTaken(name.to_owned())) } else { Ok(()) }
}

async fn make_default(conn: &mut AnyConnection, tenant: &str, kind: Kind, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE integration_accounts SET is_default = 0 WHERE tenant_id = $1 AND kind = $2 AND id <> $3")
        .bind(tenant)
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE integration_accounts SET is_default = 1 WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Writes (or replaces) one secret of an account.
pub async fn put_secret(
    conn: &mut AnyConnection,
    keys: &Keyring,
    account_id: &str,
    name: &str,
    value: &Secret,
    expires_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    let Sealed { key_id, sealed } = keys.seal(&place(account_id, name), value);
    sqlx::query(
        "INSERT INTO account_secrets (account_id, name, key_id, sealed, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, name) DO UPDATE SET key_id = excluded.key_id, sealed = excluded.sealed, \
         updated_at = excluded.updated_at, expires_at = excluded.expires_at",
    )
    .bind(account_id)
    .bind(name)
    .bind(key_id)
    .bind(sealed)
    .bind(clock::now_ms())
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// One secret of an account, opened; `None` when it is not set.
pub async fn read_secret(
    pool: &AnyPool,
    keys: &Keyring,
    account_id: &str,
    name: &str,
) -> Result<Option<Secret>, StoreError> {
    let row = sqlx::query("SELECT key_id, sealed FROM account_secrets WHERE account_id = $1 AND name = $2")
        .bind(account_id)
        .bind(name)
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let sealed = Sealed { key_id: row.try_get("key_id")?, sealed: row.try_get("sealed")? };
    Ok(Some(keys.open(&place(account_id, name), &sealed)?))
}

/// Creates an account of `tenant`; the first of its kind becomes the default.
pub async fn create(
    pool: &AnyPool,
    keys: &Keyring,
    tenant: &str,
    actor: &str,
    name: String,
    change: Change,
) -> Result<Account, StoreError> {
    let Some(settings) = change.settings.clone() else {
        return Err(FieldError::new("settings", "is required").into());
    };
    let kind = match settings {
        Settings::Servicenow(_) => Kind::Servicenow,
        Settings::Salesforce(_) => Kind::Salesforce,
    };
    let mut tx = begin_writing(pool).await?;
    name_free(&mut tx, tenant, &name, "").await?;
    let id = random::id();
    let now = clock::now_ms();
    sqlx::query(
        "INSERT INTO integration_accounts (id, tenant_id, kind, name, is_default, settings, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $6)",
    )
    .bind(&id)
    .bind(tenant)
    .bind(kind.as_str())
    .bind(&name)
    .bind(settings.to_json().to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let others: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM integration_accounts WHERE tenant_id = $1 AND kind = $2 AND is_default = 1",
    )
    .bind(tenant)
    .bind(kind.as_str())
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    if change.default.unwrap_or(false) || others == 0 {
        make_default(&mut tx, tenant, kind, &id).await?;
    }
    for (secret, value) in &change.secrets {
        put_secret(&mut tx, keys, &id, secret, value, None).await?;
    }
    let detail = format!("{} account; {}", kind.as_str(), change.summary());
    audit::record(&mut tx, tenant, actor, "account.create", &name, &detail).await?;
    let account = get_in(&mut tx, tenant, &id).await?;
    tx.commit().await?;
    Ok(account)
}

/// Applies `change` to `tenant`'s account with `id`.
pub async fn update(
    pool: &AnyPool,
    keys: &Keyring,
    tenant: &str,
    actor: &str,
    id: &str,
    change: Change,
) -> Result<Account, StoreError> {
    let mut tx = begin_writing(pool).await?;
    let current = get_in(&mut tx, tenant, id).await?;
    let now = clock::now_ms();
    if let Some(name) = &change.name {
        name_free(&mut tx, tenant, name, id).await?;
        sqlx::query("UPDATE integration_accounts SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(settings) = &change.settings {
        sqlx::query("UPDATE integration_accounts SET settings = $1 WHERE id = $2")
            .bind(settings.to_json().to_string())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        // A refresh token (and the access token it gave) belongs to the site and client it was
        // issued by.
        if settings_identity(settings) != settings_identity(&current.settings) {
            sqlx::query("DELETE FROM account_secrets WHERE account_id = $1 AND name = $2")
                .bind(id)
                .bind(REFRESH_TOKEN)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM crm_access_tokens WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
        }
    }
    match change.default {
        Some(true) => make_default(&mut tx, tenant, current.kind, id).await?,
        Some(false) => {
            sqlx::query("UPDATE integration_accounts SET is_default = 0 WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        None => {}
    }
    for (secret, value) in &change.secrets {
        put_secret(&mut tx, keys, id, secret, value, None).await?;
    }
    sqlx::query("UPDATE integration_accounts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let target = change.name.as_deref().unwrap_or(&current.name);
    audit::record(&mut tx, tenant, actor, "account.update", target, &change.summary()).await?;
    let account = get_in(&mut tx, tenant, id).await?;
    tx.commit().await?;
    Ok(account)
}

/// The fields a refresh token is bound to: the site and the client.
fn settings_identity(settings: &Settings) -> (&str, &str) {
    match settings {
        Settings::Servicenow(s) => (&s.instance_url, &s.client_id),
        Settings::Salesforce(s) => (&s.my_domain_url, &s.consumer_key),
    }
}

/// Deletes `tenant`'s account with `id` and its secrets.
pub async fn delete(pool: &AnyPool, tenant: &str, actor: &str, id: &str) -> Result<(), StoreError> {
    let mut tx = begin_writing(pool).await?;
    let current = get_in(&mut tx, tenant, id).await?;
    // Explicitly, not by the foreign keys' cascade alone: a SQLite connection may run without them.
    for table in ["account_secrets", "crm_access_tokens", "authorization_requests"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1")).bind(id).execute(&mut *tx).await?;
    }
    sqlx::query("DELETE FROM integration_accounts WHERE id = $1").bind(id).execute(&mut *tx).await?;
    let detail = format!("{} account", current.kind.as_str());
    audit::record(&mut tx, tenant, actor, "account.delete", &current.name, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores the refresh token a flow obtained (and audits it, without its value).
pub async fn store_refresh_token(
    pool: &AnyPool,
    keys: &Keyring,
    actor: &str,
    account: &Account,
    token: &Secret,
    expires_at: Option<i64>,
    how: &str,
) -> Result<(), StoreError> {
    let mut tx = begin_writing(pool).await?;
    put_secret(&mut tx, keys, &account.id, REFRESH_TOKEN, token, expires_at).await?;
    sqlx::query("UPDATE integration_accounts SET updated_at = $1 WHERE id = $2")
        .bind(clock::now_ms())
        .bind(&account.id)
        .execute(&mut *tx)
        .await?;
    audit::record(&mut tx, &account.tenant_id, actor, "account.refresh-token", &account.name, how).await?;
    tx.commit().await?;
    Ok(())
}

/// Keeps the refresh token a CRM returned in place of `old` (rotation), before the access token
/// that came with it is used; nothing when it returned none or the same.
pub async fn keep_rotated(
    pool: &AnyPool,
    keys: &Keyring,
    actor: &str,
    account: &Account,
    lifetime_days: u32,
    old: &Secret,
    returned: Option<&Secret>,
) -> Result<(), StoreError> {
    let Some(new) = returned.filter(|new| *new != old) else { return Ok(()) };
    let expires_at = clock::now_ms() + i64::from(lifetime_days) * 24 * 3600 * 1000;
    store_refresh_token(pool, keys, actor, account, new, Some(expires_at), "rotated by the CRM").await
}
