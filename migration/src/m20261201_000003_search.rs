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

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE movie_search USING fts5(search_key, content='movies', content_rowid='id', tokenize='trigram')",
    "INSERT INTO movie_search(movie_search) VALUES ('rebuild')",
    "CREATE TRIGGER movies_search_insert AFTER INSERT ON movies BEGIN \
     INSERT INTO movie_search(rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER movies_search_delete AFTER DELETE ON movies BEGIN \
     INSERT INTO movie_search(movie_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER movies_search_update AFTER UPDATE OF search_key ON movies BEGIN \
     INSERT INTO movie_search(movie_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); \
     INSERT INTO movie_search(rowid, search_key) VALUES (new.id, new.search_key); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS movies_search_update",
    "DROP TRIGGER IF EXISTS movies_search_delete",
    "DROP TRIGGER IF EXISTS movies_search_insert",
    "DROP TABLE IF EXISTS movie_search",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX idx_movies_search_key ON movies USING gist (search_key gist_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &["DROP INDEX IF EXISTS idx_movies_search_key"];

async fn run_all(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
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
            DatabaseBackend::Sqlite => run_all(manager, SQLITE_UP).await,
            DatabaseBackend::Postgres => run_all(manager, POSTGRES_UP).await,
            _ => Ok(()),
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => run_all(manager, SQLITE_DOWN).await?,
            DatabaseBackend::Postgres => run_all(manager, POSTGRES_DOWN).await?,
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
