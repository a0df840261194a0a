//! A user's cart: one row per user, locked while an order is placed.

use sea_orm::entity::prelude::*;

/// A row of `carts`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "carts")]
pub struct Model {
    /// The owner (one cart per user).
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// When the cart was first used.
    pub created_at: DateTimeUtc,
    /// When its lines last changed.
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
