//! Stand-alone migration CLI: `cargo run -p migration -- up|down|status|fresh`.
//! Reads `DATABASE_URL` (or `-u URL`) like sea-orm-cli does.

use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migration::Migrator).await;
}
