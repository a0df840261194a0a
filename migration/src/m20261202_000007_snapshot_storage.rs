//! Model snapshots are stored as they are. A snapshot is mostly floating-point factors that do
//! not compress, yet PostgreSQL's default storage for a large `bytea` tries to compress every
//! chunk of it on the way in: at the MovieLens-25M shape (a 200 MB snapshot) that was half of
//! the time publishing took (11.4 s → 5.6 s measured). `EXTERNAL` keeps the value out of line,
//! uncompressed. SQLite has no such setting; nothing changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Sets how PostgreSQL stores the snapshot payload; other databases have no such setting.
async fn set_payload_storage(manager: &SchemaManager<'_>, storage: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "ALTER TABLE model_snapshots ALTER COLUMN payload SET STORAGE {storage}"
            ))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_payload_storage(manager, "EXTERNAL").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_payload_storage(manager, "EXTENDED").await
    }
}
