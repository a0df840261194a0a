//! SQLite: ratings are upserted inside the import transaction in multi-row
//! statements; dataset accounts are created as their users first appear.
//! A bulk load drops the secondary indexes of `ratings` and rebuilds them
//! once (DDL is transactional in SQLite, so a crash leaves the old ones).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement, Value,
};

use super::{BULK_MINIMUM, RatingRow};
use crate::services::import::{ImportReport, Source, count_rows};

/// Rows per multi-row INSERT. Measured on 4M ratings: 1,000 rows per
/// statement imports faster than 6,000 and peaks at 0.5 GB instead of
/// 0.8 GB (a prepared statement's size grows with its rows); 250 is no
/// better.
const ROWS_PER_INSERT: usize = 1_000;

pub(in crate::services::import) struct SqliteSink {
    source: Source,
    /// File user id → account id (loaded on the first chunk).
    users: Option<HashMap<i32, i32>>,
    /// `CREATE INDEX` statements of indexes dropped for a bulk load.
    dropped_indexes: Vec<String>,
}

impl SqliteSink {
    pub fn new(source: Source) -> SqliteSink {
        SqliteSink {
            source,
            users: None,
            dropped_indexes: Vec::new(),
        }
    }

    /// A bigger page cache for this import, and for a bulk load (more new
    /// ratings expected than the table holds) the secondary indexes go.
    pub async fn begin(
        &mut self,
        txn: &DatabaseTransaction,
        expected_rows: u64,
    ) -> Result<(), DbErr> {
        txn.execute_unprepared("PRAGMA cache_size = -262144")
            .await?;
        let existing = count_rows(txn, "SELECT COALESCE(MAX(rowid), 0) AS n FROM ratings").await?;
        if expected_rows < BULK_MINIMUM || expected_rows <= existing.max(0) as u64 {
            return Ok(());
        }
        // The index rebuild sorts in memory with 448 MiB of cache and a
        // helper thread.
        txn.execute_unprepared("PRAGMA cache_size = -458752; PRAGMA threads = 2")
            .await?;
        // Ratings arrive user by user, so indexes led by `user_id` (the
        // primary key's, `idx_ratings_user_updated`) grow at their end; an
        // index led by anything else is written at random and is rebuilt
        // once instead. Rebuilding the user-led one too streamed 30 s faster
        // at 25M but sorted two indexes at once: 2.1 GB peak instead of 1.5.
        let indexes = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT m.name AS name, m.sql AS sql FROM sqlite_master m \
                 WHERE m.type = 'index' AND m.tbl_name = 'ratings' AND m.sql IS NOT NULL \
                   AND (SELECT i.name FROM pragma_index_info(m.name) i WHERE i.seqno = 0) <> 'user_id'",
            ))
            .await?;
        for row in indexes {
            let name: String = row.try_get("", "name")?;
            let sql: String = row.try_get("", "sql")?;
            txn.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                .await?;
            self.dropped_indexes.push(sql);
        }
        Ok(())
    }

    /// Creates the accounts this chunk needs, then upserts its ratings.
    pub async fn write(
        &mut self,
        txn: &DatabaseTransaction,
        rows: &[RatingRow],
        report: &mut ImportReport,
    ) -> Result<(), DbErr> {
        let users = match self.users.take() {
            Some(users) => users,
            None => load_accounts(txn, self.source, None).await?,
        };
        let users = self.users.insert(users);
        ensure_accounts(txn, self.source, users, rows, report).await?;
        let mapped: Vec<(i32, &RatingRow)> = rows
            .iter()
            .filter_map(|r| Some((*users.get(&r.source_user)?, r)))
            .collect();
        for part in mapped.chunks(ROWS_PER_INSERT) {
            report.ratings_written += upsert(txn, part).await?;
        }
        Ok(())
    }

    pub async fn restore_indexes(&mut self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        for sql in self.dropped_indexes.drain(..) {
            txn.execute_unprepared(&sql).await?;
        }
        // This connection goes back to the pool: SQLite's defaults.
        txn.execute_unprepared("PRAGMA cache_size = -2000; PRAGMA threads = 0")
            .await?;
        Ok(())
    }

    pub async fn cleanup(db: &DatabaseConnection, analyze: bool) -> Result<(), DbErr> {
        if analyze {
            // A sampled ANALYZE: a full one reads every index of a 25M-row table.
            db.execute_unprepared("PRAGMA analysis_limit = 1000; ANALYZE")
                .await?;
        }
        Ok(())
    }
}

/// The source's accounts (all of them, or those with these external ids):
/// file user id → account id.
async fn load_accounts(
    txn: &DatabaseTransaction,
    source: Source,
    only: Option<Vec<String>>,
) -> Result<HashMap<i32, i32>, DbErr> {
    let prefix = source.external_prefix();
    let filter = match only {
        Some(externals) => user::Column::ExternalId.is_in(externals),
        None => user::Column::ExternalId.starts_with(prefix),
    };
    let rows: Vec<(i32, Option<String>)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::ExternalId)
        .filter(filter)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, external)| Some((external?.strip_prefix(prefix)?.parse().ok()?, id)))
        .collect())
}

/// Creates the accounts `rows` need that do not exist yet. They have no
/// email or password, so nobody can sign in as them.
async fn ensure_accounts(
    txn: &DatabaseTransaction,
    source: Source,
    users: &mut HashMap<i32, i32>,
    rows: &[RatingRow],
    report: &mut ImportReport,
) -> Result<(), DbErr> {
    let mut missing: Vec<i32> = rows
        .iter()
        .map(|r| r.source_user)
        .filter(|u| !users.contains_key(u))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    let now = Utc::now();
    let prefix = source.external_prefix();
    for batch in missing.chunks(500) {
        let externals: Vec<String> = batch.iter().map(|n| format!("{prefix}{n}")).collect();
        let accounts = batch
            .iter()
            .zip(externals.clone())
            .map(|(n, external)| user::ActiveModel {
                username: Set(format!("{}{n}", source.username_prefix())),
                email: Set(None),
                password_hash: Set(None),
                role: Set("user".to_owned()),
                external_id: Set(Some(external)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        user::Entity::insert_many(accounts)
            .exec_without_returning(txn)
            .await?;
        users.extend(load_accounts(txn, source, Some(externals)).await?);
        report.users_added += batch.len() as u64;
    }
    Ok(())
}

/// One multi-row upsert; only ratings whose value differs are rewritten, so
/// a repeated import changes nothing.
async fn upsert(txn: &DatabaseTransaction, rows: &[(i32, &RatingRow)]) -> Result<u64, DbErr> {
    let mut sql = String::with_capacity(96 + rows.len() * 12);
    sql.push_str(
        "INSERT INTO ratings (user_id, movie_id, half_stars, created_at, updated_at) VALUES ",
    );
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 5);
    for (i, (user_id, row)) in rows.iter().enumerate() {
        sql.push_str(if i == 0 {
            "(?,?,?,?,?)"
        } else {
            ",(?,?,?,?,?)"
        });
        let at = DateTime::<Utc>::from_timestamp(row.timestamp, 0).unwrap_or_default();
        values.push((*user_id).into());
        values.push(row.movie_id.into());
        values.push(row.half_stars.into());
        values.push(at.into());
        values.push(at.into());
    }
    sql.push_str(
        " ON CONFLICT (user_id, movie_id) DO UPDATE \
           SET half_stars = excluded.half_stars, updated_at = excluded.updated_at \
           WHERE ratings.half_stars <> excluded.half_stars",
    );
    let result = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    Ok(result.rows_affected())
}
