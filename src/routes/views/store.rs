//! The store on the wire: the JSON bodies the handlers read and write,
//! with their OpenAPI schemas, and the conversions from and to the
//! service's domain types.

use chrono::{DateTime, Utc};
use entity::order_item;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::*;

use crate::services::store as svc;

/// `POST /cart/items` body.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToCart {
    /// The movie to buy.
    #[schema(minimum = 1)]
    pub movie_id: i32,
    /// Copies to add to the line (the line may hold 1–99).
    #[schema(minimum = 1, maximum = 99)]
    pub quantity: i64,
}

from_fields!(AddToCart => svc::AddToCart { movie_id, quantity });

/// `PUT /cart/items/{movie_id}` body.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// Copies in the line, 0–99 (0 removes the line).
    #[schema(minimum = 0, maximum = 99)]
    pub quantity: i64,
}

from_fields!(SetQuantity => svc::SetQuantity { quantity });

/// One line of the cart at current prices.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CartLine {
    /// The movie (with its current `price` and `stock`).
    pub movie: MovieSummary,
    /// Copies, 1–99.
    pub quantity: i32,
    /// Current price of one copy; null when the movie is no longer for sale
    /// (ordering then fails with `not_for_sale`).
    pub unit_price: Option<i64>,
    /// `unit_price × quantity`; null when not for sale.
    pub line_total: Option<i64>,
}

from_fields!(svc::CartLine => CartLine { movie, quantity, unit_price, line_total });

/// `GET /cart`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CartView {
    /// Lines, oldest first.
    pub items: Vec<CartLine>,
    /// Sum of the line totals of movies for sale.
    pub total: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
}

impl From<svc::CartView> for CartView {
    fn from(v: svc::CartView) -> Self {
        CartView {
            items: v.items.into_iter().map(Into::into).collect(),
            total: v.total,
            currency: v.currency,
        }
    }
}

/// One line of an order, as it was when placed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderLine {
    /// The movie; null once it was deleted from the catalogue.
    pub movie_id: Option<i32>,
    /// Title when ordered.
    pub title: String,
    /// Price of one copy when ordered.
    pub unit_price: i64,
    /// Copies.
    pub quantity: i32,
    /// `unit_price × quantity`.
    pub line_total: i64,
}

impl From<order_item::Model> for OrderLine {
    fn from(line: order_item::Model) -> Self {
        OrderLine {
            movie_id: line.movie_id,
            title: line.title,
            unit_price: line.unit_price,
            quantity: i32::from(line.quantity),
            line_total: line.line_total,
        }
    }
}

/// An order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// Order id.
    pub id: i32,
    /// Who placed it.
    pub user_id: i32,
    /// `placed` or `cancelled`.
    pub status: String,
    /// The lines, in movie-id order.
    pub items: Vec<OrderLine>,
    /// Sum of the line totals.
    pub total: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it was cancelled (null while placed).
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl From<svc::Order> for OrderView {
    fn from(order: svc::Order) -> Self {
        let row = order.row;
        OrderView {
            id: row.id,
            user_id: row.user_id,
            status: row.status,
            items: order.lines.into_iter().map(Into::into).collect(),
            total: row.total,
            currency: row.currency,
            created_at: row.created_at,
            cancelled_at: row.cancelled_at,
        }
    }
}
