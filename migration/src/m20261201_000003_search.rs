//! Search: every movie gets a compact `search_key` (its title in lower case,
//! letters and digits only, so "Spider-Man", "spider man" and "spiderman"
//! all meet at `spiderman`), indexed by each database's own trigram engine:
//!
//! - SQLite: an FTS5 table with the `trigram` tokenizer over `movies`
//!   (external content), kept in step by triggers, so the transaction that
//!   writes a movie also updates its index entry;
//! - PostgreSQL: the `pg_trgm` extension and a GiST trigram index on the
//!   column, which serves substring (`LIKE '%…%'`) queries and the
//!   nearest-by-similarity ordering (`<<->`) that finds typos.
//!
//! Existing movies are keyed here with [`search_key`]; the service keys the
//! ones it writes with the same function.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Movies {
    Table,
    SearchKey,
}

/// The search form of a title or a query: lower case, letters and digits
/// only (punctuation and spaces dropped). Changing it needs a migration
/// that re-keys every movie.
pub fn search_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// SQLite: an FTS5 `trigram` index over `table.search_key` (external
/// content, rowid = the table's id) and the triggers that keep it in step
/// within the writing transaction. The credits migration indexes people
/// the same way.
pub(crate) fn sqlite_trigram_index(table: &str, fts: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE VIRTUAL TABLE {fts} USING fts5(search_key, content='{table}', \
             content_rowid='id', tokenize='trigram')"
        ),
        format!("INSERT INTO {fts}({fts}) VALUES ('rebuild')"),
        format!(
            "CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN \
             INSERT INTO {fts}(rowid, search_key) VALUES (new.id, new.search_key); END"
        ),
        format!(
            "CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN \
             INSERT INTO {fts}({fts}, rowid, search_key) VALUES ('delete', old.id, old.search_key); END"
        ),
        format!(
            "CREATE TRIGGER {fts}_update AFTER UPDATE OF search_key ON {table} BEGIN \
             INSERT INTO {fts}({fts}, rowid, search_key) VALUES ('delete', old.id, old.search_key); \
             INSERT INTO {fts}(rowid, search_key) VALUES (new.id, new.search_key); END"
        ),
    ]
}

/// Undoes [`sqlite_trigram_index`].
pub(crate) fn drop_sqlite_trigram_index(fts: &str) -> Vec<String> {
    vec![
        format!("DROP TRIGGER IF EXISTS {fts}_update"),
        format!("DROP TRIGGER IF EXISTS {fts}_delete"),
        format!("DROP TRIGGER IF EXISTS {fts}_insert"),
        format!("DROP TABLE IF EXISTS {fts}"),
    ]
}

fn postgres_up() -> Vec<String> {
    vec![
        "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
        "CREATE INDEX idx_movies_search_key ON movies USING gist (search_key gist_trgm_ops)"
            .to_owned(),
    ]
}

/// Runs raw statements in order.
pub(crate) async fn run_all(
    manager: &SchemaManager<'_>,
    statements: &[String],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .add_column(
                        ColumnDef::new(Movies::SearchKey)
                            .string()
                            .not_null()
                            .default(""),
                    )
                    .to_owned(),
            )
            .await?;
        // Key the movies already stored (before the index is built over them).
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id, title FROM movies",
            ))
            .await?;
        for row in rows {
            let id: i32 = row.try_get("", "id")?;
            let title: String = row.try_get("", "title")?;
            let sql = match backend {
                DatabaseBackend::Postgres => "UPDATE movies SET search_key = $1 WHERE id = $2",
                _ => "UPDATE movies SET search_key = ? WHERE id = ?",
            };
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [search_key(&title).into(), id.into()],
            ))
            .await?;
        }
        match backend {
            DatabaseBackend::Sqlite => {
                run_all(manager, &sqlite_trigram_index("movies", "movie_search")).await
            }
            DatabaseBackend::Postgres => run_all(manager, &postgres_up()).await,
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                run_all(manager, &drop_sqlite_trigram_index("movie_search")).await?
            }
            DatabaseBackend::Postgres => {
                let drop = "DROP INDEX IF EXISTS idx_movies_search_key".to_owned();
                run_all(manager, &[drop]).await?
            }
            _ => {}
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .drop_column(Movies::SearchKey)
                    .to_owned(),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::search_key;

    #[test]
    fn punctuation_spacing_and_case_do_not_matter() {
        assert_eq!(search_key("Spider-Man"), "spiderman");
        assert_eq!(search_key("spider man"), "spiderman");
        assert_eq!(search_key("  WALL·E "), "walle");
        assert_eq!(search_key("살인의 추억"), "살인의추억");
        assert_eq!(search_key("2001: A Space Odyssey"), "2001aspaceodyssey");
    }
}
