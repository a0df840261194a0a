//! One line of an order, with the title and price as they were when placed.

use sea_orm::entity::prelude::*;

/// A row of `order_items`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_items")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The order.
    pub order_id: i32,
    /// The movie; `None` once it was deleted from the catalogue.
    pub movie_id: Option<i32>,
    /// Title when ordered.
    pub title: String,
    /// Price of one copy when ordered.
    pub unit_price: i64,
    /// Copies, 1–99.
    pub quantity: i16,
    /// `unit_price × quantity`.
    pub line_total: i64,
}

impl ActiveModelBehavior for ActiveModel {}
