//! A movie a user wants to watch.

use sea_orm::entity::prelude::*;

/// A row of `watchlist_items`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "watchlist_items")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    /// When it was added.
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
