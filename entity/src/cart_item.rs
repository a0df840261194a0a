//! One line of a cart: a movie and how many copies.

use sea_orm::entity::prelude::*;

/// A row of `cart_items`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_items")]
pub struct Model {
    /// The cart's owner.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// The movie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub movie_id: i32,
    /// Copies, 1–99.
    pub quantity: i16,
    /// When the line was first added.
    pub added_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
