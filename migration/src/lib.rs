//! Schema migrations of cinerank. Every table change is a new migration; old
//! migrations are never edited once they have landed.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_catalogue_and_accounts;
mod m20261122_000002_store;
mod m20261201_000003_search;
mod m20261201_000004_credits;
mod m20261201_000005_session_version;
mod m20261202_000006_change_feed;
mod m20261202_000007_snapshot_storage;

pub use m20261122_000001_catalogue_and_accounts::GENRE_NAMES;
pub use m20261201_000003_search::search_key;
pub use m20261202_000006_change_feed::CHANGE_CHANNEL;

/// The ordered list of cinerank's migrations.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_catalogue_and_accounts::Migration),
            Box::new(m20261122_000002_store::Migration),
            Box::new(m20261201_000003_search::Migration),
            Box::new(m20261201_000004_credits::Migration),
            Box::new(m20261201_000005_session_version::Migration),
            Box::new(m20261202_000006_change_feed::Migration),
            Box::new(m20261202_000007_snapshot_storage::Migration),
        ]
    }
}
