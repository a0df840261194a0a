//! The store: one cart per user and orders placed from it. Prices are
//! integers in the minor unit of the one store currency; a movie with no
//! price is not for sale, a movie with no stock is digital (unlimited).
//!
//! # Why it cannot oversell or double-order
//! Placing an order is one write transaction ([`place_order_in`]):
//! 1. **Lock the user's cart row.** Placements and cart edits of one user
//!    queue here, so the lines read are the lines removed, and a repeated
//!    `Idempotency-Key` is checked after the previous placement committed.
//! 2. **Conditionally decrement every line**, in movie-id order:
//!    `UPDATE movies SET stock = stock - q WHERE id = ? AND (stock IS NULL
//!    OR stock >= q) RETURNING …`. No row back means too few copies. The
//!    returned row also gives the title and price to snapshot, read under
//!    the same lock.
//!    - *PostgreSQL* (READ COMMITTED): the UPDATE takes the row lock; a
//!      concurrent order of the same movie waits for it, then re-evaluates
//!      the `WHERE` against the committed stock, so two orders can never
//!      both take the last copy. Locking in movie-id order means two carts
//!      holding the same movies cannot deadlock.
//!    - *SQLite*: the transaction starts with `BEGIN IMMEDIATE`
//!      ([`super::begin_write`]), which takes the database's single write
//!      lock up front. Writers run one at a time and queue on the busy
//!      timeout instead of failing with `SQLITE_BUSY` when a deferred reader
//!      tries to upgrade.
//!    - On both, `CHECK (stock >= 0)` would reject a negative stock anyway.
//! 3. **Insert the order** with its idempotency key. `UNIQUE (user_id,
//!    idempotency_key)` is what finally decides: if a racing placement
//!    with the same key committed first, this insert fails, everything
//!    (decrements included) rolls back and the caller gets the first order.
//! 4. Snapshot the lines, empty the cart, commit. Any failure before the
//!    commit (an error, a crash, a dropped connection) rolls back the
//!    decrements with the rest.

mod cart;
mod orders;

#[cfg(test)]
mod tests;

pub use cart::validate_idempotency_key;
pub use orders::{all_purchases, place_order_in, purchased_movies};

use cart::{add_to_cart, remove_from_cart, set_quantity};
use orders::{cancel_order, find_order, list_orders, place_order};

use std::sync::Arc;

use entity::{order, order_item};
use sea_orm::{DatabaseConnection, DbErr};

use crate::services::catalog::{GenreCatalog, Movie};
use crate::services::changes::{Caches, Change};
use crate::services::validation::Invalid;
use crate::services::{Page, PageRequest};

/// Why a cart or order operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A quantity or the `Idempotency-Key` breaks its rules.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such movie.
    #[error("movie not found")]
    MovieNotFound,
    /// No such order, or one the caller may not see.
    #[error("order not found")]
    OrderNotFound,
    /// These movies have no price.
    #[error("not for sale: movie {}", id_list(.0))]
    NotForSale(Vec<i32>),
    /// Nothing to order.
    #[error("the cart is empty; add movies before ordering")]
    EmptyCart,
    /// Too few copies of these cart lines.
    #[error("not enough copies in stock of movie {}", id_list(&.0.iter().map(|s| s.movie_id).collect::<Vec<_>>()))]
    OutOfStock(Vec<ShortLine>),
    /// A placement with the same `Idempotency-Key` has not committed yet.
    #[error("an order with this Idempotency-Key is being placed")]
    KeyInUse,
    /// The order is already cancelled.
    #[error("only a placed order can be cancelled; this one is already cancelled")]
    NotCancellable,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A cart line with too few copies in stock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortLine {
    /// The movie.
    pub movie_id: i32,
    /// Its current title (None if it is gone).
    pub title: Option<String>,
    /// Copies in the cart line.
    pub requested: i16,
    /// Copies in stock.
    pub available: i32,
}

fn id_list(ids: &[i32]) -> String {
    ids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Most copies of one movie in a cart line (and an order line).
pub const MAX_QUANTITY: i64 = 99;
/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 100;

/// `orders.status` of a live order.
pub const STATUS_PLACED: &str = "placed";
/// `orders.status` of a cancelled order.
pub const STATUS_CANCELLED: &str = "cancelled";

/// Copies of a movie to add to a cart line.
#[derive(Clone, Debug)]
pub struct AddToCart {
    /// The movie to buy.
    pub movie_id: i32,
    /// Copies to add to the line (the line may hold 1–99).
    pub quantity: i64,
}

/// The copies a cart line should hold.
#[derive(Clone, Debug)]
pub struct SetQuantity {
    /// Copies in the line, 0–99 (0 removes the line).
    pub quantity: i64,
}

/// One line of the cart at current prices.
#[derive(Clone, Debug)]
pub struct CartLine {
    /// The movie (with its current `price` and `stock`).
    pub movie: Movie,
    /// Copies, 1–99.
    pub quantity: i32,
    /// Current price of one copy; null when the movie is no longer for sale
    /// (ordering then fails with `not_for_sale`).
    pub unit_price: Option<i64>,
    /// `unit_price × quantity`; null when not for sale.
    pub line_total: Option<i64>,
}

/// A cart at current prices.
#[derive(Clone, Debug)]
pub struct CartView {
    /// Lines, oldest first.
    pub items: Vec<CartLine>,
    /// Sum of the line totals of movies for sale.
    pub total: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
}

/// An order with its lines (in movie-id order), as stored when placed.
#[derive(Clone, Debug)]
pub struct Order {
    /// The `orders` row: owner, status, total, currency, times.
    pub row: order::Model,
    /// Its `order_items` rows.
    pub lines: Vec<order_item::Model>,
}

/// What a placement did.
#[derive(Clone, Debug)]
pub enum Placement {
    /// A new order (201).
    Placed(Order),
    /// The idempotency key was used before: the original order, unchanged (200).
    Replayed(Order),
}

/// Who is asking about an order: owners see their own, admins any.
#[derive(Clone, Copy, Debug)]
pub struct Viewer {
    /// The caller's id.
    pub user_id: i32,
    /// Whether the caller is an admin.
    pub is_admin: bool,
}

/// The store service, in the one store currency. Placing or cancelling an
/// order changes its movies' stock (cached by the catalogue) and is strong
/// feedback for recommendations: both are recorded in the order's
/// transaction and dropped after the commit.
pub struct Store {
    db: DatabaseConnection,
    currency: String,
    caches: Arc<Caches>,
}

impl Store {
    /// The service, pricing in `currency` (ISO 4217).
    pub fn new(currency: String, caches: Arc<Caches>) -> Self {
        Store {
            db: caches.catalog().db().clone(),
            currency,
            caches,
        }
    }

    fn genres(&self) -> &GenreCatalog {
        self.caches.catalog().genres()
    }

    /// The caller's cart at current prices.
    pub async fn cart(&self, user_id: i32) -> Result<CartView, StoreError> {
        cart::cart(&self.db, self.genres(), user_id, &self.currency).await
    }

    /// Adds copies of a movie to the cart; returns the cart after the change.
    pub async fn add_to_cart(
        &self,
        user_id: i32,
        request: AddToCart,
    ) -> Result<CartView, StoreError> {
        add_to_cart(&self.db, user_id, request).await?;
        self.cart(user_id).await
    }

    /// Sets the copies in one line (0 removes it); returns the cart after the change.
    pub async fn set_quantity(
        &self,
        user_id: i32,
        movie_id: i32,
        request: SetQuantity,
    ) -> Result<CartView, StoreError> {
        set_quantity(&self.db, user_id, movie_id, request).await?;
        self.cart(user_id).await
    }

    /// Removes one line (no-op when absent), or every line with `movie_id` None.
    pub async fn remove_from_cart(
        &self,
        user_id: i32,
        movie_id: Option<i32>,
    ) -> Result<(), StoreError> {
        remove_from_cart(&self.db, user_id, movie_id).await
    }

    /// Places an order from the whole cart (see [`place_order`]).
    pub async fn place_order(
        &self,
        user_id: i32,
        idempotency_key: Option<&str>,
    ) -> Result<Placement, StoreError> {
        let placement = place_order(&self.db, user_id, idempotency_key, &self.currency).await?;
        if let Placement::Placed(order) = &placement {
            self.order_changed(order).await;
        }
        Ok(placement)
    }

    /// Cancels a placed order and returns its copies to stock.
    pub async fn cancel_order(&self, viewer: Viewer, order_id: i32) -> Result<Order, StoreError> {
        let order = cancel_order(&self.db, viewer, order_id).await?;
        self.order_changed(&order).await;
        Ok(order)
    }

    /// One order with its lines, if the viewer may see it.
    pub async fn find_order(&self, viewer: Viewer, order_id: i32) -> Result<Order, StoreError> {
        find_order(&self.db, viewer, order_id).await
    }

    /// A page of orders, newest first: one user's, or everyone's (`None`).
    pub async fn list_orders(
        &self,
        user_id: Option<i32>,
        page: PageRequest,
    ) -> Result<Page<Order>, StoreError> {
        list_orders(&self.db, user_id, page).await
    }

    async fn order_changed(&self, order: &Order) {
        self.caches.committed(&order_changes(order)).await;
    }
}

/// What placing or cancelling an order changes: its movies' stock and its
/// user's recommendations (purchases are never recommended).
fn order_changes(order: &Order) -> Vec<Change> {
    vec![
        Change::Movies(
            order
                .lines
                .iter()
                .filter_map(|line| line.movie_id)
                .collect(),
        ),
        Change::User(order.row.user_id),
    ]
}
