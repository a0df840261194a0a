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

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{cart, cart_item, movie, order, order_item};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlErr,
};

use super::catalog::{Catalog, GenreCatalog, MovieSummary};
use super::lists::movies_in_order;
use super::recommendations::Recommender;
use super::validation::Invalid;
use super::{Page, PageRequest, begin_write};

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

/// `POST /cart/items` body.
#[derive(Clone, Debug)]
pub struct AddToCart {
    /// The movie to buy.
    pub movie_id: i32,
    /// Copies to add to the line (the line may hold 1–99).
    pub quantity: i64,
}

/// `PUT /cart/items/{movie_id}` body.
#[derive(Clone, Debug)]
pub struct SetQuantity {
    /// Copies in the line, 0–99 (0 removes the line).
    pub quantity: i64,
}

/// One line of the cart at current prices.
#[derive(Clone, Debug)]
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

/// `GET /cart`.
#[derive(Clone, Debug)]
pub struct CartView {
    /// Lines, oldest first.
    pub items: Vec<CartLine>,
    /// Sum of the line totals of movies for sale.
    pub total: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
}

/// One line of an order, as it was when placed.
#[derive(Clone, Debug)]
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

/// An order.
#[derive(Clone, Debug)]
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

/// What a placement did.
#[derive(Clone, Debug)]
pub enum Placement {
    /// A new order (201).
    Placed(OrderView),
    /// The idempotency key was used before: the original order, unchanged (200).
    Replayed(OrderView),
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
/// feedback for recommendations: both are invalidated after the commit.
pub struct Store {
    db: DatabaseConnection,
    currency: String,
    catalog: Arc<Catalog>,
    recommender: Arc<Recommender>,
}

impl Store {
    /// The service, pricing in `currency` (ISO 4217).
    pub fn new(currency: String, catalog: Arc<Catalog>, recommender: Arc<Recommender>) -> Self {
        Store {
            db: catalog.db().clone(),
            currency,
            catalog,
            recommender,
        }
    }

    fn genres(&self) -> &GenreCatalog {
        self.catalog.genres()
    }

    /// The caller's cart at current prices.
    pub async fn cart(&self, user_id: i32) -> Result<CartView, StoreError> {
        cart(&self.db, self.genres(), user_id, &self.currency).await
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
    pub async fn cancel_order(
        &self,
        viewer: Viewer,
        order_id: i32,
    ) -> Result<OrderView, StoreError> {
        let order = cancel_order(&self.db, viewer, order_id).await?;
        self.order_changed(&order).await;
        Ok(order)
    }

    /// One order with its lines, if the viewer may see it.
    pub async fn find_order(&self, viewer: Viewer, order_id: i32) -> Result<OrderView, StoreError> {
        find_order(&self.db, viewer, order_id).await
    }

    /// A page of orders, newest first: one user's, or everyone's (`None`).
    pub async fn list_orders(
        &self,
        user_id: Option<i32>,
        page: PageRequest,
    ) -> Result<Page<OrderView>, StoreError> {
        list_orders(&self.db, user_id, page).await
    }

    /// Invalidates what an order changed: its movies' stock and the user's
    /// recommendations.
    async fn order_changed(&self, order: &OrderView) {
        self.catalog
            .movies_changed(order.items.iter().filter_map(|i| i.movie_id))
            .await;
        self.recommender.user_changed(order.user_id);
    }
}

/// Checks an `Idempotency-Key` header: 1–100 printable ASCII characters.
pub fn validate_idempotency_key(raw: &[u8]) -> Result<String, Invalid> {
    let valid = !raw.is_empty()
        && raw.len() <= MAX_IDEMPOTENCY_KEY_LEN
        && raw.iter().all(|b| (0x20..=0x7e).contains(b));
    match std::str::from_utf8(raw) {
        Ok(key) if valid => Ok(key.to_owned()),
        _ => Err(Invalid::field(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"),
        )),
    }
}

fn check_quantity(quantity: i64, min: i64) -> Result<i16, StoreError> {
    if (min..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity as i16)
    } else {
        Err(Invalid::field(
            "quantity",
            format!("must be between {min} and {MAX_QUANTITY}"),
        )
        .into())
    }
}

/// Takes the user's cart row lock, creating the cart on first use: cart
/// edits and placements of one user run one after another.
async fn lock_cart(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DbErr> {
    let now = Utc::now();
    cart::Entity::insert(cart::ActiveModel {
        user_id: Set(user_id),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(cart::Column::UserId)
            .update_column(cart::Column::UpdatedAt)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The movie, which must exist (404) and be for sale (422).
async fn movie_for_sale(db: &impl ConnectionTrait, movie_id: i32) -> Result<(), StoreError> {
    let movie = movie::Entity::find_by_id(movie_id)
        .one(db)
        .await?
        .ok_or(StoreError::MovieNotFound)?;
    if movie.price.is_none() {
        return Err(StoreError::NotForSale(vec![movie_id]));
    }
    Ok(())
}

/// The caller's cart at current prices.
async fn cart(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
    currency: &str,
) -> Result<CartView, StoreError> {
    let rows = cart_item::Entity::find()
        .filter(cart_item::Column::UserId.eq(user_id))
        .order_by_asc(cart_item::Column::AddedAt)
        .order_by_asc(cart_item::Column::MovieId)
        .all(db)
        .await?;
    let movies = movies_in_order(db, genres, rows.iter().map(|r| r.movie_id)).await?;
    let items: Vec<CartLine> = rows
        .into_iter()
        .zip(movies)
        .filter_map(|(row, movie)| {
            let movie = movie?;
            let quantity = i32::from(row.quantity);
            Some(CartLine {
                unit_price: movie.price,
                line_total: movie.price.map(|p| p * i64::from(quantity)),
                movie,
                quantity,
            })
        })
        .collect();
    Ok(CartView {
        total: items.iter().filter_map(|l| l.line_total).sum(),
        items,
        currency: currency.to_owned(),
    })
}

/// Adds copies of a movie to the caller's cart (a line holds at most 99).
async fn add_to_cart(
    db: &DatabaseConnection,
    user_id: i32,
    request: AddToCart,
) -> Result<(), StoreError> {
    let quantity = check_quantity(request.quantity, 1)?;
    if request.movie_id <= 0 {
        return Err(StoreError::MovieNotFound);
    }
    let txn = begin_write(db).await?;
    movie_for_sale(&txn, request.movie_id).await?;
    lock_cart(&txn, user_id).await?;
    let existing = cart_item::Entity::find_by_id((user_id, request.movie_id))
        .one(&txn)
        .await?;
    match existing {
        None => {
            cart_item::ActiveModel {
                user_id: Set(user_id),
                movie_id: Set(request.movie_id),
                quantity: Set(quantity),
                added_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?;
        }
        Some(line) => {
            let total = i64::from(line.quantity) + i64::from(quantity);
            if total > MAX_QUANTITY {
                return Err(Invalid::field(
                    "quantity",
                    format!(
                        "the line already holds {}; at most {MAX_QUANTITY} copies per line",
                        line.quantity
                    ),
                )
                .into());
            }
            let mut active: cart_item::ActiveModel = line.into();
            active.quantity = Set(total as i16);
            active.update(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Sets the copies in one line of the caller's cart; 0 removes the line.
async fn set_quantity(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
    request: SetQuantity,
) -> Result<(), StoreError> {
    let quantity = check_quantity(request.quantity, 0)?;
    let txn = begin_write(db).await?;
    lock_cart(&txn, user_id).await?;
    if quantity == 0 {
        cart_item::Entity::delete_by_id((user_id, movie_id))
            .exec(&txn)
            .await?;
    } else {
        movie_for_sale(&txn, movie_id).await?;
        cart_item::Entity::insert(cart_item::ActiveModel {
            user_id: Set(user_id),
            movie_id: Set(movie_id),
            quantity: Set(quantity),
            added_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::columns([cart_item::Column::UserId, cart_item::Column::MovieId])
                .update_column(cart_item::Column::Quantity)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes one line (no-op when absent), or every line with `movie_id` None.
async fn remove_from_cart(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: Option<i32>,
) -> Result<(), StoreError> {
    let txn = begin_write(db).await?;
    lock_cart(&txn, user_id).await?;
    let mut delete = cart_item::Entity::delete_many().filter(cart_item::Column::UserId.eq(user_id));
    if let Some(movie_id) = movie_id {
        delete = delete.filter(cart_item::Column::MovieId.eq(movie_id));
    }
    delete.exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

async fn order_by_key(
    db: &impl ConnectionTrait,
    user_id: i32,
    key: &str,
) -> Result<Option<order::Model>, DbErr> {
    order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .filter(order::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

/// Places an order from the user's whole cart inside `db`, which must be a
/// write transaction (see the module documentation for the protocol). The
/// caller commits, or drops the transaction to undo everything.
pub async fn place_order_in(
    db: &impl ConnectionTrait,
    user_id: i32,
    idempotency_key: Option<&str>,
    currency: &str,
) -> Result<Placement, StoreError> {
    let now = Utc::now();
    // 1. Serialise with this user's other placements and cart edits. A cart
    //    that was never used has no row to lock, but then it is empty too.
    cart::Entity::update_many()
        .col_expr(cart::Column::UpdatedAt, Expr::val(now))
        .filter(cart::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if let Some(key) = idempotency_key
        && let Some(existing) = order_by_key(db, user_id, key).await?
    {
        return Ok(Placement::Replayed(order_view(db, existing).await?));
    }
    let lines = cart_item::Entity::find()
        .filter(cart_item::Column::UserId.eq(user_id))
        .order_by_asc(cart_item::Column::MovieId)
        .all(db)
        .await?;
    if lines.is_empty() {
        return Err(StoreError::EmptyCart);
    }

    // 2. Conditional decrements, in movie-id order (the lock order).
    let mut taken: Vec<(cart_item::Model, movie::Model)> = Vec::with_capacity(lines.len());
    let mut short = Vec::new();
    let mut unsellable = Vec::new();
    for line in lines {
        let quantity = i32::from(line.quantity);
        let updated = movie::Entity::update_many()
            .col_expr(
                movie::Column::Stock,
                Expr::col(movie::Column::Stock).sub(quantity),
            )
            .filter(movie::Column::Id.eq(line.movie_id))
            .filter(
                Condition::any()
                    .add(movie::Column::Stock.is_null())
                    .add(movie::Column::Stock.gte(quantity)),
            )
            .exec_with_returning(db)
            .await?
            .pop();
        match updated {
            Some(movie) if movie.price.is_none() => unsellable.push(line.movie_id),
            Some(movie) => taken.push((line, movie)),
            None => short.push(line),
        }
    }
    if !unsellable.is_empty() {
        return Err(StoreError::NotForSale(unsellable));
    }
    if !short.is_empty() {
        return Err(out_of_stock(db, short).await?);
    }

    // 3. The order; its unique key settles races between equal keys.
    let total: i64 = taken
        .iter()
        .map(|(line, movie)| movie.price.unwrap_or(0) * i64::from(line.quantity))
        .sum();
    let placed = order::ActiveModel {
        user_id: Set(user_id),
        status: Set(STATUS_PLACED.to_owned()),
        total: Set(total),
        currency: Set(currency.to_owned()),
        idempotency_key: Set(idempotency_key.map(str::to_owned)),
        created_at: Set(now),
        cancelled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::KeyInUse,
        _ => err.into(),
    })?;

    // 4. Snapshot the lines and empty the cart.
    let items: Vec<order_item::ActiveModel> = taken
        .iter()
        .map(|(line, movie)| {
            let unit_price = movie.price.unwrap_or(0);
            order_item::ActiveModel {
                order_id: Set(placed.id),
                movie_id: Set(Some(movie.id)),
                title: Set(movie.title.clone()),
                unit_price: Set(unit_price),
                quantity: Set(line.quantity),
                line_total: Set(unit_price * i64::from(line.quantity)),
                ..Default::default()
            }
        })
        .collect();
    order_item::Entity::insert_many(items)
        .exec_without_returning(db)
        .await?;
    cart_item::Entity::delete_many()
        .filter(cart_item::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(Placement::Placed(order_view(db, placed).await?))
}

/// The error for lines with too few copies, naming each movie.
async fn out_of_stock(
    db: &impl ConnectionTrait,
    short: Vec<cart_item::Model>,
) -> Result<StoreError, DbErr> {
    let ids: Vec<i32> = short.iter().map(|l| l.movie_id).collect();
    let current: HashMap<i32, movie::Model> = movie::Entity::find()
        .filter(movie::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    Ok(StoreError::OutOfStock(
        short
            .iter()
            .map(|line| {
                let movie = current.get(&line.movie_id);
                ShortLine {
                    movie_id: line.movie_id,
                    title: movie.map(|m| m.title.clone()),
                    requested: line.quantity,
                    available: movie.and_then(|m| m.stock).unwrap_or(0),
                }
            })
            .collect(),
    ))
}

/// Places an order from the user's cart in its own transaction. With an
/// `Idempotency-Key` already used by this user, returns that order instead
/// (even if the cart changed since: the key names one placement, not a cart).
async fn place_order(
    db: &DatabaseConnection,
    user_id: i32,
    idempotency_key: Option<&str>,
    currency: &str,
) -> Result<Placement, StoreError> {
    let txn = begin_write(db).await?;
    match place_order_in(&txn, user_id, idempotency_key, currency).await {
        Ok(Placement::Placed(view)) => {
            txn.commit().await?;
            log::info!(
                "order {} placed by user {user_id}: total {} {}",
                view.id,
                view.total,
                view.currency
            );
            Ok(Placement::Placed(view))
        }
        Ok(replayed @ Placement::Replayed(_)) => {
            txn.rollback().await?;
            Ok(replayed)
        }
        Err(StoreError::KeyInUse) if idempotency_key.is_some() => {
            // A racing placement with the same key committed first.
            txn.rollback().await?;
            let key = idempotency_key.unwrap_or_default();
            let existing = order_by_key(db, user_id, key)
                .await?
                .ok_or(StoreError::KeyInUse)?;
            Ok(Placement::Replayed(order_view(db, existing).await?))
        }
        Err(err) => Err(err),
    }
}

/// Cancels a placed order and returns its copies to stock, atomically.
async fn cancel_order(
    db: &DatabaseConnection,
    viewer: Viewer,
    order_id: i32,
) -> Result<OrderView, StoreError> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    visible_order(&txn, viewer, order_id).await?;
    // The status change is conditional, so of two concurrent cancellations
    // exactly one returns the stock.
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::val(STATUS_CANCELLED))
        .col_expr(order::Column::CancelledAt, Expr::val(now))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq(STATUS_PLACED))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(StoreError::NotCancellable);
    }
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order_id))
        .order_by_asc(order_item::Column::MovieId)
        .all(&txn)
        .await?;
    for item in &items {
        let Some(movie_id) = item.movie_id else {
            continue;
        };
        // Digital movies (NULL stock) stay unlimited: NULL + q is NULL.
        movie::Entity::update_many()
            .col_expr(
                movie::Column::Stock,
                Expr::col(movie::Column::Stock).add(i32::from(item.quantity)),
            )
            .filter(movie::Column::Id.eq(movie_id))
            .exec(&txn)
            .await?;
    }
    let cancelled = order::Entity::find_by_id(order_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::OrderNotFound)?;
    txn.commit().await?;
    log::info!(
        "order {order_id} cancelled by user {}: total {} {} (placed by user {})",
        viewer.user_id,
        cancelled.total,
        cancelled.currency,
        cancelled.user_id
    );
    Ok(view_with_items(cancelled, items))
}

/// The order if the viewer may see it; 404 otherwise (another user's order
/// is not even acknowledged to exist).
async fn visible_order(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i32,
) -> Result<order::Model, StoreError> {
    order::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .filter(|o| viewer.is_admin || o.user_id == viewer.user_id)
        .ok_or(StoreError::OrderNotFound)
}

/// One order with its lines.
async fn find_order(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i32,
) -> Result<OrderView, StoreError> {
    let order = visible_order(db, viewer, order_id).await?;
    Ok(order_view(db, order).await?)
}

/// A page of orders, newest first: one user's, or everyone's (`None`).
async fn list_orders(
    db: &impl ConnectionTrait,
    user_id: Option<i32>,
    page: PageRequest,
) -> Result<Page<OrderView>, StoreError> {
    let mut select = order::Entity::find();
    if let Some(user_id) = user_id {
        select = select.filter(order::Column::UserId.eq(user_id));
    }
    let total = select.clone().count(db).await?;
    let orders = select
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .limit(page.per_page)
        .offset(page.offset())
        .all(db)
        .await?;
    let ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    let mut lines: HashMap<i32, Vec<order_item::Model>> = HashMap::new();
    if !ids.is_empty() {
        for item in order_item::Entity::find()
            .filter(order_item::Column::OrderId.is_in(ids))
            .order_by_asc(order_item::Column::MovieId)
            .order_by_asc(order_item::Column::Id)
            .all(db)
            .await?
        {
            lines.entry(item.order_id).or_default().push(item);
        }
    }
    let items = orders
        .into_iter()
        .map(|o| {
            let items = lines.remove(&o.id).unwrap_or_default();
            view_with_items(o, items)
        })
        .collect();
    Ok(Page::new(items, page, total))
}

async fn order_view(db: &impl ConnectionTrait, order: order::Model) -> Result<OrderView, DbErr> {
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::MovieId)
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    Ok(view_with_items(order, items))
}

fn view_with_items(order: order::Model, items: Vec<order_item::Model>) -> OrderView {
    OrderView {
        id: order.id,
        user_id: order.user_id,
        status: order.status,
        items: items
            .into_iter()
            .map(|i| OrderLine {
                movie_id: i.movie_id,
                title: i.title,
                unit_price: i.unit_price,
                quantity: i32::from(i.quantity),
                line_total: i.line_total,
            })
            .collect(),
        total: order.total,
        currency: order.currency,
        created_at: order.created_at,
        cancelled_at: order.cancelled_at,
    }
}

/// Movies in the user's placed (not cancelled) orders: strong positive
/// feedback for the recommender, and never recommended to them again.
pub async fn purchased_movies(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<i32>, DbErr> {
    order_item::Entity::find()
        .select_only()
        .column(order_item::Column::MovieId)
        .distinct()
        .filter(order_item::Column::MovieId.is_not_null())
        .filter(
            order_item::Column::OrderId.in_subquery(
                Query::select()
                    .column(order::Column::Id)
                    .from(order::Entity)
                    .and_where(Expr::col(order::Column::UserId).eq(user_id))
                    .and_where(Expr::col(order::Column::Status).eq(STATUS_PLACED))
                    .to_owned(),
            ),
        )
        .into_tuple::<i32>()
        .all(db)
        .await
}

/// Every `(user, movie)` of a placed order, for training.
pub async fn all_purchases(db: &impl ConnectionTrait) -> Result<Vec<(i32, i32)>, DbErr> {
    let statement = Query::select()
        .distinct()
        .column((order::Entity, order::Column::UserId))
        .column((order_item::Entity, order_item::Column::MovieId))
        .from(order_item::Entity)
        .inner_join(
            order::Entity,
            Expr::col((order::Entity, order::Column::Id))
                .equals((order_item::Entity, order_item::Column::OrderId)),
        )
        .and_where(Expr::col((order::Entity, order::Column::Status)).eq(STATUS_PLACED))
        .and_where(Expr::col((order_item::Entity, order_item::Column::MovieId)).is_not_null())
        .to_owned();
    db.query_all(&statement)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_short_printable_ascii() {
        assert_eq!(
            validate_idempotency_key(b"order-2026-11-22 #1").ok(),
            Some("order-2026-11-22 #1".to_owned())
        );
        assert!(validate_idempotency_key(&[b'k'; 100]).is_ok());
        for bad in [
            &b""[..],
            &[b'k'; 101],
            b"tab\there",
            "키".as_bytes(),
            b"\x7f",
        ] {
            assert!(validate_idempotency_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quantities_are_checked_against_their_range() {
        assert_eq!(check_quantity(1, 1).ok(), Some(1));
        assert_eq!(check_quantity(99, 1).ok(), Some(99));
        assert_eq!(check_quantity(0, 0).ok(), Some(0));
        for bad in [0, 100, -1, i64::MAX] {
            assert!(check_quantity(bad, 1).is_err(), "{bad}");
        }
    }
}
