//! One write that other instances must hear about (see `services::changes`).

use sea_orm::entity::prelude::*;

/// A row of `change_log`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    /// Increasing with every write (SQLite commits them in this order).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The change in its text form, e.g. `user 12` or `movies 3,4`.
    pub change: String,
    /// When it was written (rows are pruned after a while).
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
