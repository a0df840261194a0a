//! Database connections: pool settings per backend, SQLite's WAL mode, and
//! migrations.

use std::path::Path;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, IsolationLevel, RuntimeErr, TransactionTrait,
};

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
        // Opened at start and kept: a connection opened on demand costs the
        // request that waits for it (see `Settings::db_min_connections`).
        .min_connections(settings.db_min_connections)
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

/// Fails unless the database accepts writes: creates a table inside a
/// transaction and rolls it back, so nothing is left behind. An SQLite file
/// without write permission opens read-only without complaint, and a
/// PostgreSQL standby answers reads, so without this the service would
/// start, report ready and answer every write with 500.
pub async fn probe_write(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    txn.execute_unprepared("CREATE TABLE cinerank_write_probe (id INTEGER)")
        .await?;
    txn.rollback().await
}

/// A read-only transaction for reading a whole table at once (the trainer's
/// data): one consistent snapshot (`REPEATABLE READ` on PostgreSQL; an SQLite
/// read transaction is one already), and on PostgreSQL no statement timeout
/// for it alone: streaming 25M ratings takes longer than the
/// `DB_STATEMENT_TIMEOUT_MS` that bounds request queries.
pub async fn begin_bulk_read(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return db.begin().await;
    }
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    txn.execute_unprepared("SET LOCAL statement_timeout = 0")
        .await?;
    Ok(txn)
}

/// The advisory lock held while migrating PostgreSQL ("cinerank-migrate"
/// folded into an `i64`).
const MIGRATION_LOCK: i64 = 0x6d69_6772_6174_6531;

/// Applies every pending migration. Several processes may start at once on
/// a new database (two web instances and the worker): on PostgreSQL they
/// take turns under an advisory lock; SQLite has one server, but a worker
/// or a CLI command may start beside it, so a migration that lost such a
/// race is retried once the other process's work is visible.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let lock = advisory_lock(db, MIGRATION_LOCK, std::time::Duration::from_millis(200)).await?;
        let migrated = Migrator::up(db, None).await;
        // Closing the session releases the lock, also after an error.
        drop(lock);
        return migrated;
    }
    let mut attempts = 0;
    loop {
        match Migrator::up(db, None).await {
            Err(err) if attempts < 20 => {
                attempts += 1;
                log::info!("migration raced another process ({err}); retrying");
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            done => return done,
        }
    }
}

/// Waits until this process holds PostgreSQL's session-level advisory lock
/// `key`, trying every `retry`, and returns the session that holds it: a
/// connection detached from the pool, so dropping it closes the session and
/// releases the lock. `try` in a loop rather than a blocking
/// `pg_advisory_lock`, which the statement timeout would cancel.
pub async fn advisory_lock(
    db: &DatabaseConnection,
    key: i64,
    retry: std::time::Duration,
) -> Result<sqlx::PgConnection, DbErr> {
    let pool = db.get_postgres_connection_pool();
    let mut session = pool.acquire().await.map_err(conn_err)?.detach();
    let mut waited = false;
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut session)
            .await
            .map_err(conn_err)?;
        if taken {
            return Ok(session);
        }
        if !waited {
            log::info!("waiting for another process's advisory lock {key:#x}");
            waited = true;
        }
        tokio::time::sleep(retry).await;
    }
}

fn conn_err(err: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(std::sync::Arc::new(err)))
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

/// Whether `err` says the database could not be reached, rather than that a
/// statement failed: the pool timed out or is closed, the connection broke
/// (I/O error, TLS, protocol), or the server is shutting down or refusing
/// connections (SQLSTATE classes 08 and 57P). A request that failed this
/// way may well succeed in a moment, so it is a 503 with `Retry-After`, not
/// a 500. The first requests after a database restart land on stale pooled
/// connections and fail in exactly this way.
pub fn is_connection_failure(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(sqlx_err))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx_err)) => match sqlx_err.as_ref() {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db_err) => db_err
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn broken_connections_are_told_apart_from_failed_statements() {
        let io = || {
            sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ))
        };
        assert!(is_connection_failure(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(io())
        ))));
        assert!(is_connection_failure(&DbErr::Exec(RuntimeErr::SqlxError(
            Arc::new(sqlx::Error::PoolClosed)
        ))));
        assert!(is_connection_failure(&DbErr::ConnectionAcquire(
            sea_orm::error::ConnAcquireErr::Timeout
        )));
        assert!(!is_connection_failure(&DbErr::Query(
            RuntimeErr::SqlxError(Arc::new(sqlx::Error::RowNotFound))
        )));
        assert!(!is_connection_failure(&DbErr::Custom("no".to_owned())));
    }
}
