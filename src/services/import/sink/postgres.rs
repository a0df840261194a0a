//! PostgreSQL: ratings are `COPY`ed into an unlogged staging table over a
//! connection of their own (a `COPY` cannot share the transaction's), then
//! merged by set-based statements inside the import transaction. A session
//! advisory lock serialises imports; a killed importer's session ends and
//! releases it, and the next import drops the stale staging table.

use sea_orm::sqlx::AssertSqlSafe;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
};

use super::{BULK_MINIMUM, RatingRow};
use crate::services::import::{ImportReport, Source, count_rows};

/// Name of the staging table (one import at a time holds it).
const STAGING_TABLE: &str = "cinerank_import_ratings";
/// Advisory lock key serialising imports ("cinerank" in ASCII).
const IMPORT_LOCK_KEY: i64 = 0x63_69_6e_65_72_61_6e_6b;

pub(in crate::services::import) struct PostgresSink {
    source: Source,
    connection: Box<sea_orm::sqlx::PgConnection>,
    staged: u64,
}

fn sqlx_error(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(format!("staging ratings: {err}"))
}

impl PostgresSink {
    pub async fn open(db: &DatabaseConnection, source: Source) -> Result<PostgresSink, DbErr> {
        use sea_orm::sqlx::Connection;
        let pool = db.get_postgres_connection_pool();
        let mut connection = pool.acquire().await.map_err(sqlx_error)?.detach();
        // Bulk statements, and waiting for another import, outlast the
        // per-request statement timeout: lifted first, as its own statement
        // (a timeout set inside a multi-statement query only applies after
        // that query).
        sea_orm::sqlx::raw_sql(AssertSqlSafe("SET statement_timeout = 0"))
            .execute(&mut connection)
            .await
            .map_err(sqlx_error)?;
        // Waits for another import to finish.
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(IMPORT_LOCK_KEY)
            .execute(&mut connection)
            .await
            .map_err(sqlx_error)?;
        sea_orm::sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS {STAGING_TABLE}; \
             CREATE UNLOGGED TABLE {STAGING_TABLE} (\
               user_id integer NOT NULL, movie_id integer NOT NULL, \
               half_stars smallint NOT NULL, rated_at bigint NOT NULL, seq bigint NOT NULL)"
        )))
        .execute(&mut connection)
        .await
        .map_err(sqlx_error)?;
        connection.ping().await.map_err(sqlx_error)?;
        Ok(PostgresSink {
            source,
            connection: Box::new(connection),
            staged: 0,
        })
    }

    /// Several instances may start at once on one database: one seeds.
    pub async fn serialise_seeding(txn: &DatabaseTransaction) -> Result<(), DbErr> {
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(7200101)")
            .await?;
        Ok(())
    }

    /// The merge and the aggregate pass are long single statements.
    pub async fn begin(txn: &DatabaseTransaction) -> Result<(), DbErr> {
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
        Ok(())
    }

    /// Sends a chunk to the staging table.
    pub async fn stage(&mut self, rows: &[RatingRow]) -> Result<(), DbErr> {
        use std::io::Write;
        let mut data = Vec::with_capacity(rows.len() * 40);
        for r in rows {
            self.staged += 1;
            let _ = writeln!(
                data,
                "{}\t{}\t{}\t{}\t{}",
                r.source_user, r.movie_id, r.half_stars, r.timestamp, self.staged
            );
        }
        let mut copy = self
            .connection
            .copy_in_raw(&format!(
                "COPY {STAGING_TABLE} (user_id, movie_id, half_stars, rated_at, seq) FROM STDIN"
            ))
            .await
            .map_err(sqlx_error)?;
        copy.send(data).await.map_err(sqlx_error)?;
        copy.finish().await.map_err(sqlx_error)?;
        Ok(())
    }

    /// Creates the accounts the staged ratings need, then writes the
    /// ratings. A bulk load (more new ratings than the table holds) updates
    /// changed rows, drops the table's keys and indexes, appends the new
    /// rows with one anti-join insert and rebuilds keys and indexes from
    /// their own definitions — all inside the import transaction, so a
    /// crash changes nothing. Smaller imports use one `INSERT … ON CONFLICT`.
    pub async fn merge(
        &mut self,
        txn: &DatabaseTransaction,
        may_repeat: bool,
        report: &mut ImportReport,
    ) -> Result<(), DbErr> {
        // Both prefixes are constants of this program: safe to inline.
        let external = self.source.external_prefix();
        let username = self.source.username_prefix();
        txn.execute_unprepared(
            "SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '512MB'",
        )
        .await?;
        let users = txn
            .execute_unprepared(&format!(
                "INSERT INTO users (username, email, password_hash, role, external_id, created_at, updated_at) \
                 SELECT '{username}' || d.user_id, NULL, NULL, 'user', '{external}' || d.user_id, now(), now() \
                 FROM (SELECT DISTINCT user_id FROM {STAGING_TABLE}) AS d \
                 WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.external_id = '{external}' || d.user_id) \
                 ORDER BY d.user_id"
            ))
            .await?;
        report.users_added += users.rows_affected();
        // Fresh statistics (our own uncommitted rows count) so the merge
        // joins by hash instead of guessing from an empty staging table.
        txn.execute_unprepared(&format!("ANALYZE {STAGING_TABLE}; ANALYZE users"))
            .await?;

        // A (user, movie) listed twice keeps its last line; the sort is only
        // paid when the parser saw it could happen.
        let staged_rows = if may_repeat {
            format!(
                "(SELECT DISTINCT ON (user_id, movie_id) user_id, movie_id, half_stars, rated_at \
                  FROM {STAGING_TABLE} ORDER BY user_id, movie_id, seq DESC)"
            )
        } else {
            STAGING_TABLE.to_owned()
        };
        let source = format!(
            "(SELECT u.id AS user_id, s.movie_id, s.half_stars, to_timestamp(s.rated_at) AS rated_at \
              FROM {staged_rows} AS s \
              JOIN users u ON u.external_id = '{external}' || s.user_id)"
        );
        let existing = count_rows(txn, "SELECT COUNT(*) AS n FROM ratings")
            .await?
            .max(0) as u64;
        if self.staged < BULK_MINIMUM || self.staged <= existing {
            let merged = txn
                .execute_unprepared(&format!(
                    "INSERT INTO ratings (user_id, movie_id, half_stars, created_at, updated_at) \
                     SELECT s.user_id, s.movie_id, s.half_stars, s.rated_at, s.rated_at FROM {source} AS s \
                     ON CONFLICT (user_id, movie_id) DO UPDATE \
                       SET half_stars = EXCLUDED.half_stars, updated_at = EXCLUDED.updated_at \
                       WHERE ratings.half_stars <> EXCLUDED.half_stars"
                ))
                .await?;
            report.ratings_written += merged.rows_affected();
            return Ok(());
        }
        bulk_merge(txn, &source, existing, report).await
    }

    /// Drops the staging table and releases the import lock; then refreshes
    /// the planner's statistics.
    pub async fn cleanup(mut self, analyze: bool) -> Result<(), DbErr> {
        use sea_orm::sqlx::Connection;
        sea_orm::sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP TABLE IF EXISTS {STAGING_TABLE}"
        )))
        .execute(&mut *self.connection)
        .await
        .map_err(sqlx_error)?;
        if analyze {
            // On the sink's own connection: after a large import, ANALYZE
            // may outlast the pool's statement timeout.
            sea_orm::sqlx::raw_sql(AssertSqlSafe("ANALYZE"))
                .execute(&mut *self.connection)
                .await
                .map_err(sqlx_error)?;
        }
        self.connection.close().await.map_err(sqlx_error)?;
        Ok(())
    }
}

/// The bulk path of [`PostgresSink::merge`].
async fn bulk_merge(
    txn: &DatabaseTransaction,
    source: &str,
    existing: u64,
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    if existing > 0 {
        let updated = txn
            .execute_unprepared(&format!(
                "UPDATE ratings r SET half_stars = s.half_stars, updated_at = s.rated_at FROM {source} AS s \
                 WHERE r.user_id = s.user_id AND r.movie_id = s.movie_id AND r.half_stars <> s.half_stars"
            ))
            .await?;
        report.ratings_written += updated.rows_affected();
    }
    let constraints = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def, contype::text AS kind \
             FROM pg_constraint WHERE conrelid = 'ratings'::regclass AND contype IN ('p', 'f') \
             ORDER BY contype DESC",
        ))
        .await?;
    let indexes = txn
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_get_indexdef(indexrelid) AS def, indexrelid::regclass::text AS name \
             FROM pg_index WHERE indrelid = 'ratings'::regclass AND NOT indisprimary",
        ))
        .await?;
    let mut rebuild = Vec::new();
    for row in constraints.iter().rev() {
        let name: String = row.try_get("", "name")?;
        let def: String = row.try_get("", "def")?;
        txn.execute_unprepared(&format!("ALTER TABLE ratings DROP CONSTRAINT \"{name}\""))
            .await?;
        rebuild.push(format!(
            "ALTER TABLE ratings ADD CONSTRAINT \"{name}\" {def}"
        ));
    }
    rebuild.reverse();
    for row in &indexes {
        let name: String = row.try_get("", "name")?;
        let def: String = row.try_get("", "def")?;
        txn.execute_unprepared(&format!("DROP INDEX {name}"))
            .await?;
        rebuild.insert(1.min(rebuild.len()), def);
    }
    let not_there = if existing > 0 {
        "WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = s.user_id AND r.movie_id = s.movie_id)"
    } else {
        ""
    };
    let inserted = txn
        .execute_unprepared(&format!(
            "INSERT INTO ratings (user_id, movie_id, half_stars, created_at, updated_at) \
             SELECT s.user_id, s.movie_id, s.half_stars, s.rated_at, s.rated_at FROM {source} AS s {not_there}"
        ))
        .await?;
    report.ratings_written += inserted.rows_affected();
    for statement in rebuild {
        txn.execute_unprepared(&statement).await?;
    }
    Ok(())
}
