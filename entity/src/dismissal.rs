//! A movie a user marked "not interested": never recommended to them.

use sea_orm::entity::prelude::*;

/// A row of `dismissals`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dismissals")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The dismissed movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    /// When it was dismissed.
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
