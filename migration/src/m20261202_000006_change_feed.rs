//! Scale-out: a change feed and published model snapshots.
//!
//! `change_log` gets one row per write that changes what an instance may
//! have cached, inserted by the write's own transaction. On PostgreSQL a
//! trigger turns each row into a `NOTIFY cinerank_changes` (delivered only
//! if the transaction commits), which every instance `LISTEN`s to; on SQLite
//! the running server polls the table for rows written by other processes.
//! `model_snapshots` holds the models a worker trained, so serving
//! instances load one instead of training.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Id,
    Change,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ModelSnapshots {
    Table,
    Id,
    Version,
    TrainedAt,
    TrainingMs,
    Ratings,
    CatalogueMovies,
    TrainRmse,
    TrainMae,
    SampleSize,
    SizeBytes,
    Checksum,
    Payload,
    CreatedAt,
}

/// The channel every instance listens on.
pub const CHANGE_CHANNEL: &str = "cinerank_changes";

const POSTGRES_NOTIFY_UP: [&str; 2] = [
    // The payload is the row itself (`id change`): listeners need not read
    // the table back.
    "CREATE FUNCTION cinerank_notify_change() RETURNS trigger AS $$
     BEGIN
       PERFORM pg_notify('cinerank_changes', NEW.id::text || ' ' || NEW.change);
       RETURN NULL;
     END;
     $$ LANGUAGE plpgsql",
    "CREATE TRIGGER change_log_notify AFTER INSERT ON change_log
     FOR EACH ROW EXECUTE FUNCTION cinerank_notify_change()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(big_pk_auto(ChangeLog::Id))
                    .col(string(ChangeLog::Change))
                    .col(timestamp_with_time_zone(ChangeLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_change_log_created_at")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModelSnapshots::Table)
                    .col(pk_auto(ModelSnapshots::Id))
                    .col(string_uniq(ModelSnapshots::Version))
                    .col(timestamp_with_time_zone(ModelSnapshots::TrainedAt))
                    .col(big_integer(ModelSnapshots::TrainingMs))
                    .col(big_integer(ModelSnapshots::Ratings))
                    .col(big_integer(ModelSnapshots::CatalogueMovies))
                    .col(double_null(ModelSnapshots::TrainRmse))
                    .col(double_null(ModelSnapshots::TrainMae))
                    .col(big_integer(ModelSnapshots::SampleSize))
                    .col(big_integer(ModelSnapshots::SizeBytes))
                    .col(string(ModelSnapshots::Checksum))
                    .col(blob(ModelSnapshots::Payload))
                    .col(timestamp_with_time_zone(ModelSnapshots::CreatedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            for sql in POSTGRES_NOTIFY_UP {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TRIGGER IF EXISTS change_log_notify ON change_log")
                .await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS cinerank_notify_change()")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(ModelSnapshots::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ChangeLog::Table).to_owned())
            .await
    }
}
