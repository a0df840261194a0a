//! Sessions that can be ended: every account gets a session version that
//! each token carries. Signing out everywhere, a password change and a role
//! change increment it, and a token whose version is older is refused.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    SessionVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Existing accounts start at 0, the version of every token issued
        // before this migration, so nobody is signed out by the upgrade.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(Users::SessionVersion).default(0))
                    .to_owned(),
            )
            .await?;
        // SQLite keeps the default of an added column in the schema, not in
        // the rows, and its RETURNING has been seen answering NULL for such
        // a value; storing it in every row leaves nothing to the default.
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::SessionVersion, 0)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::SessionVersion)
                    .to_owned(),
            )
            .await
    }
}
