//! Database connections: pool settings per backend, SQLite's WAL mode, and
//! migrations.

use std::path::Path;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::config::{DatabaseUrl, Settings};

/// Opens a pool on `settings.database_url`. For an SQLite file the parent
/// folder is created, and every connection uses WAL journaling (readers do
/// not block the writer) with a busy timeout so concurrent writers queue.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let url = &settings.database_url;
    if url.is_sqlite() {
        create_sqlite_parent_dir(url)?;
    }
    let mut options = ConnectOptions::new(url.expose());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .acquire_timeout(settings.db_acquire_timeout)
        .idle_timeout(std::time::Duration::from_secs(300))
        .sqlx_logging(false)
        // Ping only connections that sat idle a while: a ping on every
        // acquire doubles the round trips of short queries.
        .test_before_acquire(false)
        .test_before_acquire_if_idle_for(std::time::Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    if let Some(timeout) = settings.db_statement_timeout
        && url.is_postgres()
    {
        // A runaway query must not hold a connection (and the pool) forever.
        options.statement_timeout(timeout);
    }
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

fn create_sqlite_parent_dir(url: &DatabaseUrl) -> Result<(), DbErr> {
    let path = url
        .expose()
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|err| DbErr::Custom(format!("cannot create {}: {err}", dir.display()))),
        _ => Ok(()),
    }
}
