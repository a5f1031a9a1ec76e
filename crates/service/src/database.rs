//! The database: SQLite (a file, created at start) or PostgreSQL, chosen by the URL's scheme and
//! reached through one code path (`sqlx`'s `Any` driver). Each backend has its own migrations,
//! applied at start; several service instances may share one PostgreSQL.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Transaction};
use thiserror::Error;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database the URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (or `sqlite::memory:`).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// The backend for `url`, by its scheme.
    pub fn of(url: &str) -> Result<Backend, DatabaseError> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(DatabaseError::Scheme(scheme.to_owned())),
        }
    }

    /// Its name, as the health answer and the logs give it.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Why the database could not be opened or migrated.
#[derive(Debug, Error)]
pub enum DatabaseError {
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("DATABASE_URL must start with sqlite: or postgres:, not {0:?}")]
    Scheme(String),
    /// The connection failed (the URL's password is never part of the message).
    #[error("cannot open the {backend} database: {reason}")]
    Connect {
        /// sqlite or postgres.
        backend: &'static str,
        /// The driver's reason.
        reason: String,
    },
    /// A migration failed.
    #[error("cannot migrate the {backend} database: {reason}")]
    Migrate {
        /// sqlite or postgres.
        backend: &'static str,
        /// The migrator's reason.
        reason: String,
    },
}

/// An open, migrated database.
#[derive(Clone, Debug)]
pub struct Database {
    /// The connections.
    pub pool: AnyPool,
    /// Which kind it is.
    pub backend: Backend,
}

impl Database {
    /// Opens the database at `url` (creating a SQLite file that does not exist yet) and applies
    /// the migrations it lacks.
    pub async fn open(url: &str) -> Result<Database, DatabaseError> {
        install_default_drivers();
        let backend = Backend::of(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        // An in-memory SQLite database lives as long as its one connection.
        let max = if url.contains(":memory:") { 1 } else { 8 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .connect(&url)
            .await
            .map_err(|e| DatabaseError::Connect { backend: backend.name(), reason: e.to_string() })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&pool)
            .await
            .map_err(|e| DatabaseError::Migrate { backend: backend.name(), reason: e.to_string() })?;
        if backend == Backend::Sqlite {
            owner_only(&url);
        }
        Ok(Database { pool, backend })
    }
}

/// Begins a transaction that writes. On SQLite it takes the write lock at its start (`BEGIN
/// IMMEDIATE`), so that it waits its turn behind another writer: a plain `BEGIN` that reads
/// first fails at once with "database is locked" when it later needs the lock another
/// connection holds, because waiting there could deadlock.
pub async fn begin_writing(pool: &AnyPool) -> Result<Transaction<'static, Any>, sqlx::Error> {
    let sqlite = pool.connect_options().database_url.scheme() == "sqlite";
    pool.begin_with(if sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" }).await
}

/// Makes a SQLite file readable by its owner only: it holds password hashes and sealed secrets.
/// SQLite gives its `-wal` and `-shm` files the same mode.
fn owner_only(url: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or("");
        if !path.is_empty()
            && !path.contains(":memory:")
            && let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        {
            tracing::warn!(%error, path, "cannot make the database file readable by its owner only");
        }
    }
}
