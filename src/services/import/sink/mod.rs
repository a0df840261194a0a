//! Where ratings go while an import streams. Each backend keeps its own
//! details behind the same five steps — `begin`, `write` (per chunk),
//! `finish`, `restore_indexes`, `cleanup` — so the import's main flow does
//! not branch on the database.

mod postgres;
mod sqlite;

use sea_orm::{DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};

use super::{ImportReport, Source};

/// A rating ready for the database: the file's user id (accounts are the
/// sink's business) and the cinerank movie id.
#[derive(Clone, Copy, Debug)]
pub(super) struct RatingRow {
    pub source_user: i32,
    pub movie_id: i32,
    pub half_stars: i16,
    pub timestamp: i64,
}

/// Below this many new ratings a bulk load is not worth rebuilding indexes.
const BULK_MINIMUM: u64 = 100_000;

/// The backend's rating writer.
pub(super) enum RatingSink {
    /// Multi-row upserts inside the import transaction.
    Sqlite(sqlite::SqliteSink),
    /// `COPY` into an unlogged staging table, merged at the end.
    Postgres(postgres::PostgresSink),
}

impl RatingSink {
    /// Opens the sink for `db`'s backend (PostgreSQL: its own connection,
    /// holding the import lock, and a fresh staging table).
    pub async fn open(db: &DatabaseConnection, source: Source) -> Result<RatingSink, DbErr> {
        Ok(match db.get_database_backend() {
            DbBackend::Postgres => {
                RatingSink::Postgres(postgres::PostgresSink::open(db, source).await?)
            }
            _ => RatingSink::Sqlite(sqlite::SqliteSink::new(source)),
        })
    }

    /// Makes concurrent seeding attempts wait for each other (PostgreSQL:
    /// a transaction advisory lock; SQLite's write transaction already does).
    pub async fn serialise_seeding(&self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite(_) => Ok(()),
            RatingSink::Postgres(_) => postgres::PostgresSink::serialise_seeding(txn).await,
        }
    }

    /// Prepares the transaction for about `expected_rows` ratings.
    pub async fn begin(
        &mut self,
        txn: &DatabaseTransaction,
        expected_rows: u64,
    ) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite(sink) => sink.begin(txn, expected_rows).await,
            RatingSink::Postgres(_) => postgres::PostgresSink::begin(txn).await,
        }
    }

    /// Writes (or stages) one chunk.
    pub async fn write(
        &mut self,
        txn: &DatabaseTransaction,
        rows: &[RatingRow],
        report: &mut ImportReport,
    ) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite(sink) => sink.write(txn, rows, report).await,
            RatingSink::Postgres(sink) => sink.stage(rows).await,
        }
    }

    /// Completes the writes (PostgreSQL: accounts and the merge).
    pub async fn finish(
        &mut self,
        txn: &DatabaseTransaction,
        may_repeat: bool,
        report: &mut ImportReport,
    ) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite(_) => Ok(()),
            RatingSink::Postgres(sink) => sink.merge(txn, may_repeat, report).await,
        }
    }

    /// Recreates what a bulk load dropped (SQLite's secondary indexes).
    pub async fn restore_indexes(&mut self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite(sink) => sink.restore_indexes(txn).await,
            RatingSink::Postgres(_) => Ok(()),
        }
    }

    /// After commit (or an early stop): drops staging state and, when
    /// `analyze`, refreshes the planner's statistics.
    pub async fn cleanup(self, db: &DatabaseConnection, analyze: bool) -> Result<(), DbErr> {
        match self {
            RatingSink::Sqlite(_) => sqlite::SqliteSink::cleanup(db, analyze).await,
            RatingSink::Postgres(sink) => sink.cleanup(analyze).await,
        }
    }
}
