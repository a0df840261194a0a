//! Credits: people (cast and directors) in their own table, linked to movies
//! with a role and a billing position, and a movie's runtime. People are
//! searchable like titles: the same compact `search_key` with the same
//! trigram index on each database (see the search migration).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
    RuntimeMinutes,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    Name,
    SearchKey,
    TmdbId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MovieCredits {
    Table,
    MovieId,
    PersonId,
    Role,
    Position,
    Character,
}

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE people_search USING fts5(search_key, content='people', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER people_search_insert AFTER INSERT ON people BEGIN \
     INSERT INTO people_search(rowid, search_key) VALUES (new.id, new.search_key); END",
    "CREATE TRIGGER people_search_delete AFTER DELETE ON people BEGIN \
     INSERT INTO people_search(people_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); END",
    "CREATE TRIGGER people_search_update AFTER UPDATE OF search_key ON people BEGIN \
     INSERT INTO people_search(people_search, rowid, search_key) VALUES ('delete', old.id, old.search_key); \
     INSERT INTO people_search(rowid, search_key) VALUES (new.id, new.search_key); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS people_search_update",
    "DROP TRIGGER IF EXISTS people_search_delete",
    "DROP TRIGGER IF EXISTS people_search_insert",
    "DROP TABLE IF EXISTS people_search",
];

const POSTGRES_UP: &[&str] =
    &["CREATE INDEX idx_people_search_key ON people USING gist (search_key gist_trgm_ops)"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .add_column(integer_null(Movies::RuntimeMinutes))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(People::Table)
                    .col(pk_auto(People::Id))
                    .col(string(People::Name))
                    .col(string(People::SearchKey))
                    .col(integer_null(People::TmdbId).unique_key())
                    .col(timestamp_with_time_zone(People::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // Seeds and imports find a person by name.
        manager
            .create_index(
                Index::create()
                    .name("idx_people_name")
                    .table(People::Table)
                    .col(People::Name)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MovieCredits::Table)
                    .col(integer(MovieCredits::MovieId))
                    .col(integer(MovieCredits::PersonId))
                    // `cast` or `director`.
                    .col(string_len(MovieCredits::Role, 16))
                    // Billing order within the role, from 1.
                    .col(integer(MovieCredits::Position))
                    .col(string_null(MovieCredits::Character))
                    .primary_key(
                        Index::create()
                            .col(MovieCredits::MovieId)
                            .col(MovieCredits::Role)
                            .col(MovieCredits::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MovieCredits::Table, MovieCredits::MovieId)
                            .to(Movies::Table, Movies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MovieCredits::Table, MovieCredits::PersonId)
                            .to(People::Table, People::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A person's films, and the `person=` filter.
        manager
            .create_index(
                Index::create()
                    .name("idx_movie_credits_person")
                    .table(MovieCredits::Table)
                    .col(MovieCredits::PersonId)
                    .col(MovieCredits::MovieId)
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_UP,
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => &[],
        };
        let db = manager.get_connection();
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            let db = manager.get_connection();
            for sql in SQLITE_DOWN {
                db.execute_unprepared(sql).await?;
            }
        }
        manager
            .drop_table(Table::drop().table(MovieCredits::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(People::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Movies::Table)
                    .drop_column(Movies::RuntimeMinutes)
                    .to_owned(),
            )
            .await
    }
}
