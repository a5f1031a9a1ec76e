//! Tenants: the contact centers one service serves. Each has its own administrators and agents,
//! integration accounts, call logs, audit log and the widget's `framephone.json`. The operator
//! who runs the service adds them (`framephone-service add-tenant`); everything else happens
//! inside one, chosen by who signed in.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::accounts::FieldError;
use crate::clock;
use crate::random;

/// The tenant every service starts with, and that data from before tenants belongs to.
pub const DEFAULT: &str = "default";
/// Longest widget configuration kept, in bytes (the widget's own file is a few hundred).
pub const MAX_WIDGET_CONFIG_BYTES: usize = 64 * 1024;

/// A tenant as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// Its id.
    pub id: String,
    /// Its name in URLs: `/t/<slug>/framephone.json`.
    pub slug: String,
    /// Its name as shown.
    pub name: String,
    /// Whether it has a widget configuration.
    pub has_widget_config: bool,
    /// The origins its phone is served from: its agents' tokens go only there (and to the
    /// operator's).
    pub widget_origins: Vec<String>,
    /// When created (RFC 3339).
    pub created_at: String,
    /// When last changed (RFC 3339).
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, slug, name, widget_config IS NOT NULL AS has_widget_config, widget_origins, created_at, updated_at";
/// Most origins a tenant lists.
pub const MAX_WIDGET_ORIGINS: usize = 20;

fn from_row(row: &AnyRow) -> Result<Tenant, sqlx::Error> {
    // SQLite answers a boolean expression as an integer, PostgreSQL as a boolean.
    let has_widget_config = row
        .try_get::<bool, _>("has_widget_config")
        .or_else(|_| row.try_get::<i64, _>("has_widget_config").map(|n| n != 0))?;
    Ok(Tenant {
        id: row.try_get("id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        has_widget_config,
        widget_origins: origins_of(&row.try_get::<String, _>("widget_origins")?),
        created_at: clock::rfc3339(row.try_get("created_at")?),
        updated_at: clock::rfc3339(row.try_get("updated_at")?),
    })
}

fn origins_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Why a slug is refused, or `None`: 2 to 40 lowercase letters, digits and dashes, starting
/// with a letter, so that it reads the same in every URL.
pub fn slug_refusal(slug: &str) -> Option<String> {
    let ok = (2..=40).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && slug.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && !slug.ends_with('-');
    (!ok).then(|| {
        format!(
            "the tenant slug {slug:?} must have 2 to 40 lowercase letters, digits or dashes, begin with a letter and not end with a dash"
        )
    })
}

/// Why a tenant was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The slug or name is not acceptable.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// Another tenant has the slug.
    #[error("a tenant with the slug {0} already exists")]
    Taken(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Adds a tenant.
pub async fn add(pool: &AnyPool, slug: &str, name: &str) -> Result<Tenant, AddError> {
    if let Some(refusal) = slug_refusal(slug) {
        return Err(FieldError::new("slug", refusal).into());
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "must have 1 to 100 characters and no control characters").into());
    }
    if by_slug(pool, slug).await?.is_some() {
        return Err(AddError::Taken(slug.to_owned()));
    }
    let id = random::id();
    let now = clock::now_ms();
    sqlx::query(
        "INSERT INTO tenants (id, slug, name, widget_config, created_at, updated_at) VALUES ($1, $2, $3, NULL, $4, $4)",
    )
    .bind(&id)
    .bind(slug)
    .bind(name)
    .bind(now)
    .execute(pool)
    .await?;
    by_id(pool, &id).await?.ok_or(AddError::Database(sqlx::Error::RowNotFound))
}

/// Every tenant, by slug.
pub async fn all(pool: &AnyPool) -> Result<Vec<Tenant>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM tenants ORDER BY slug")).fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

/// The tenant with `id`.
pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<Tenant>, sqlx::Error> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM tenants WHERE id = $1")).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(from_row).transpose()
}

/// The tenant with `slug`.
pub async fn by_slug(pool: &AnyPool, slug: &str) -> Result<Option<Tenant>, sqlx::Error> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM tenants WHERE slug = $1")).bind(slug).fetch_optional(pool).await?;
    row.as_ref().map(from_row).transpose()
}

/// The tenant's widget configuration, as the administrator last saved it.
pub async fn widget_config(pool: &AnyPool, tenant: &str) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT widget_config FROM tenants WHERE id = $1").bind(tenant).fetch_optional(pool).await?;
    Ok(row.map(|row| row.try_get::<Option<String>, _>("widget_config")).transpose()?.flatten())
}

/// Checks `text` with the widget's own reader of `framephone.json`: every problem, each with
/// the path of its key, as the widget would show them.
pub fn check_widget_config(text: &str) -> Result<(), Vec<String>> {
    if text.len() > MAX_WIDGET_CONFIG_BYTES {
        return Err(vec![format!("framephone.json: must have at most {MAX_WIDGET_CONFIG_BYTES} bytes")]);
    }
    framephone::config::Config::parse(text)
        .map(|_| ())
        .map_err(|problems| problems.iter().map(ToString::to_string).collect())
}

/// The origins an administrator lists, checked (each a bare `https://` origin, or `http://` on
/// loopback; at most [`MAX_WIDGET_ORIGINS`]) and in their canonical form, without repeats.
pub fn check_widget_origins(origins: &[String]) -> Result<Vec<String>, FieldError> {
    if origins.len() > MAX_WIDGET_ORIGINS {
        return Err(FieldError::new("origins", format!("must list at most {MAX_WIDGET_ORIGINS} origins")));
    }
    let mut checked: Vec<String> = Vec::new();
    for (i, origin) in origins.iter().enumerate() {
        crate::accounts::fields::origin_url(&format!("origins[{i}]"), origin)?;
        let canonical = crate::accounts::fields::canonical_origin(origin);
        if !checked.contains(&canonical) {
            checked.push(canonical);
        }
    }
    Ok(checked)
}

/// Replaces the tenant's widget origins (already checked).
pub async fn set_widget_origins(
    conn: &mut sqlx::AnyConnection,
    tenant: &str,
    origins: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET widget_origins = $1, updated_at = $2 WHERE id = $3")
        .bind(serde_json::to_string(origins).unwrap_or_else(|_| "[]".into()))
        .bind(clock::now_ms())
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

/// Every tenant's widget origins: (origin, tenant id).
pub async fn all_widget_origins(pool: &AnyPool) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, widget_origins FROM tenants").fetch_all(pool).await?;
    let mut listed = Vec::new();
    for row in rows {
        let tenant: String = row.try_get("id")?;
        for origin in origins_of(&row.try_get::<String, _>("widget_origins")?) {
            listed.push((origin, tenant.clone()));
        }
    }
    Ok(listed)
}

/// Replaces the tenant's widget configuration (already checked).
pub async fn set_widget_config(conn: &mut sqlx::AnyConnection, tenant: &str, text: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET widget_config = $1, updated_at = $2 WHERE id = $3")
        .bind(text)
        .bind(clock::now_ms())
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_read_the_same_in_every_url() {
        for good in ["acme", "acme-emea", "c2", "default"] {
            assert_eq!(slug_refusal(good), None, "{good}");
        }
        for bad in ["a", "Acme", "acme_emea", "-acme", "acme-", "2acme", "acme/x", "acme.example", &"a".repeat(41)] {
            assert!(slug_refusal(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn a_widget_configuration_is_checked_by_the_widget_s_own_reader() {
        let good = r#"{"sip": {"servers": ["wss://sip.acme.example/ws"], "domain": "acme.example"},
                       "hosts": {"allowedOrigins": ["https://acme.service-now.com"]}}"#;
        assert_eq!(check_widget_config(good), Ok(()));
        let problems = check_widget_config(
            r#"{"sip": {"servers": ["http://x"], "domain": "acme.example"}, "hosts": {"allowedOrigins": ["https://a.test"]}}"#,
        )
            .expect_err("refused");
        assert!(problems.iter().any(|p| p.starts_with("sip.servers[0]")), "{problems:?}");
        assert!(check_widget_config("{").expect_err("refused")[0].contains("not valid JSON"));
        assert!(check_widget_config(&" ".repeat(MAX_WIDGET_CONFIG_BYTES + 1)).is_err());
    }
}
