//! The cart: one per user, its lines checked against the catalogue, every
//! edit under the user's cart row lock.

use chrono::Utc;
use entity::{cart, cart_item, movie};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::*;
use crate::services::begin_write;
use crate::services::catalog::GenreCatalog;
use crate::services::catalog::movies_in_order;
use crate::services::validation::Invalid;

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

pub(super) fn check_quantity(quantity: i64, min: i64) -> Result<i16, StoreError> {
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
pub(super) async fn lock_cart(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DbErr> {
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
pub(super) async fn movie_for_sale(
    db: &impl ConnectionTrait,
    movie_id: i32,
) -> Result<(), StoreError> {
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
pub(super) async fn cart(
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
                unit_price: movie.row.price,
                line_total: movie.row.price.map(|p| p * i64::from(quantity)),
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
pub(super) async fn add_to_cart(
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
pub(super) async fn set_quantity(
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
pub(super) async fn remove_from_cart(
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
