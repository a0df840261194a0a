//! Orders: placing one from the whole cart (see the protocol in the parent
//! module), cancelling, reading, and the purchases the recommender learns from.

use std::collections::HashMap;

use chrono::Utc;
use entity::{cart, cart_item, movie, order, order_item};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::*;
use crate::services::changes;
use crate::services::{Page, PageRequest, begin_write, page_of};

pub(super) async fn order_by_key(
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
pub(super) async fn out_of_stock(
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
pub(super) async fn place_order(
    db: &DatabaseConnection,
    user_id: i32,
    idempotency_key: Option<&str>,
    currency: &str,
) -> Result<Placement, StoreError> {
    let txn = begin_write(db).await?;
    match place_order_in(&txn, user_id, idempotency_key, currency).await {
        Ok(Placement::Placed(view)) => {
            changes::record(&txn, &order_changes(&view)).await?;
            txn.commit().await?;
            log::info!(
                "order {} placed by user {user_id}: total {} {}",
                view.row.id,
                view.row.total,
                view.row.currency
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
pub(super) async fn cancel_order(
    db: &DatabaseConnection,
    viewer: Viewer,
    order_id: i32,
) -> Result<Order, StoreError> {
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
    let cancelled = with_lines(cancelled, items);
    changes::record(&txn, &order_changes(&cancelled)).await?;
    txn.commit().await?;
    log::info!(
        "order {order_id} cancelled by user {}: total {} {} (placed by user {})",
        viewer.user_id,
        cancelled.row.total,
        cancelled.row.currency,
        cancelled.row.user_id
    );
    Ok(cancelled)
}

/// The order if the viewer may see it; 404 otherwise (another user's order
/// is not even acknowledged to exist).
pub(super) async fn visible_order(
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
pub(super) async fn find_order(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    order_id: i32,
) -> Result<Order, StoreError> {
    let order = visible_order(db, viewer, order_id).await?;
    Ok(order_view(db, order).await?)
}

/// A page of orders, newest first: one user's, or everyone's (`None`).
pub(super) async fn list_orders(
    db: &impl ConnectionTrait,
    user_id: Option<i32>,
    page: PageRequest,
) -> Result<Page<Order>, StoreError> {
    let mut select = order::Entity::find();
    if let Some(user_id) = user_id {
        select = select.filter(order::Column::UserId.eq(user_id));
    }
    let newest_first = select
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id);
    let (select, total) = page_of(db, newest_first, page).await?;
    let orders = select.all(db).await?;
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
            with_lines(o, items)
        })
        .collect();
    Ok(Page::new(items, page, total))
}

pub(super) async fn order_view(
    db: &impl ConnectionTrait,
    order: order::Model,
) -> Result<Order, DbErr> {
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::MovieId)
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    Ok(with_lines(order, items))
}

pub(super) fn with_lines(row: order::Model, lines: Vec<order_item::Model>) -> Order {
    Order { row, lines }
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
