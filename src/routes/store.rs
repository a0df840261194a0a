//! Store routes: the caller's cart, placing and cancelling orders, order
//! history, and the admin order list.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};

use crate::auth::{AdminUser, AuthUser, Role};
use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::extract::{PageQuery, page_query, parse_id};
use crate::routes::responses::{Forbidden, NoSuchMovie, NoSuchOrder, Unauthorized, Unprocessable};
use crate::routes::views::Page;
use crate::routes::views::store::{AddToCart, CartView, OrderView, SetQuantity};
use crate::services::store::{self, Placement, Viewer};
use crate::state::AppState;

/// The request header that makes `POST /orders` safe to retry.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

fn viewer(user: &AuthUser) -> Viewer {
    Viewer {
        user_id: user.id,
        is_admin: user.role == Role::Admin,
    }
}

/// The caller's cart at current prices.
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    responses((status = 200, body = CartView), Unauthorized)
)]
#[get("/cart")]
pub async fn get_cart(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<CartView>, ApiError> {
    Ok(web::Json(state.store.cart(user.id).await?.into()))
}

/// Add copies of a movie to the cart (a line holds 1–99).
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    request_body = AddToCart,
    responses(
        (status = 200, description = "The cart after the change", body = CartView),
        Unauthorized, NoSuchMovie,
        (status = 422, description = "Bad quantity, more than 99 in the line, unknown field, or `not_for_sale`", body = ErrorEnvelope),
    )
)]
#[post("/cart/items")]
pub async fn add_to_cart(
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<AddToCart>,
) -> Result<web::Json<CartView>, ApiError> {
    Ok(web::Json(
        state
            .store
            .add_to_cart(user.id, body.into_inner().into())
            .await?
            .into(),
    ))
}

/// Set the copies in one cart line; 0 removes it.
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(("movie_id" = i32, Path, minimum = 1)),
    request_body = SetQuantity,
    responses(
        (status = 200, description = "The cart after the change", body = CartView),
        Unauthorized, NoSuchMovie,
        (status = 422, description = "Quantity not 0–99, or `not_for_sale`", body = ErrorEnvelope),
    )
)]
#[put("/cart/items/{movie_id}")]
pub async fn set_cart_item(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<SetQuantity>,
) -> Result<web::Json<CartView>, ApiError> {
    let movie_id = parse_id(&path, "movie_id")?;
    let cart = state
        .store
        .set_quantity(user.id, movie_id, body.into_inner().into())
        .await?;
    Ok(web::Json(cart.into()))
}

/// Remove one line from the cart (no-op when absent).
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(("movie_id" = i32, Path, minimum = 1)),
    responses((status = 204), Unauthorized)
)]
#[delete("/cart/items/{movie_id}")]
pub async fn remove_cart_item(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = parse_id(&path, "movie_id")?;
    state
        .store
        .remove_from_cart(user.id, Some(movie_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Empty the cart.
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    responses((status = 204), Unauthorized)
)]
#[delete("/cart")]
pub async fn clear_cart(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.store.remove_from_cart(user.id, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Place an order from the whole cart, atomically. Send an
/// `Idempotency-Key` to retry safely: the same key from the same user
/// returns the first order (200) and never places a second one, even if the
/// cart changed in between.
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1–100 printable ASCII characters, unique per order")),
    responses(
        (status = 201, description = "Placed", body = OrderView),
        (status = 200, description = "This key was used before: the original order", body = OrderView),
        Unauthorized,
        (status = 409, description = "`out_of_stock`; `details.movie_ids` and `details.movies` name the movies short", body = ErrorEnvelope),
        (status = 422, description = "`empty_cart`, `not_for_sale` (`details.movie_ids`), or a bad Idempotency-Key", body = ErrorEnvelope),
    )
)]
#[post("/orders")]
pub async fn place_order(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|value| store::validate_idempotency_key(value.as_bytes()))
        .transpose()?;
    let placement = state.store.place_order(user.id, key.as_deref()).await?;
    Ok(match placement {
        Placement::Placed(order) => HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/orders/{}", order.row.id)))
            .json(OrderView::from(order)),
        Placement::Replayed(order) => HttpResponse::Ok().json(OrderView::from(order)),
    })
}

/// The caller's orders, newest first.
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<OrderView>), Unauthorized, Unprocessable)
)]
#[get("/orders")]
pub async fn my_orders(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<OrderView>>, ApiError> {
    let page = page_query(&req)?;
    Ok(web::Json(
        state.store.list_orders(Some(user.id), page).await?.into(),
    ))
}

/// One of the caller's orders (admins: any order).
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses(
        (status = 200, body = OrderView),
        Unauthorized, NoSuchOrder,
    )
)]
#[get("/orders/{id}")]
pub async fn get_order(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<OrderView>, ApiError> {
    let id = parse_id(&path, "id")?;
    Ok(web::Json(
        state.store.find_order(viewer(&user), id).await?.into(),
    ))
}

/// Cancel a placed order; its copies go back into stock.
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses(
        (status = 200, body = OrderView),
        Unauthorized, NoSuchOrder,
        (status = 409, description = "`order_not_cancellable`: already cancelled", body = ErrorEnvelope),
    )
)]
#[post("/orders/{id}/cancel")]
pub async fn cancel_order(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<OrderView>, ApiError> {
    let id = parse_id(&path, "id")?;
    Ok(web::Json(
        state.store.cancel_order(viewer(&user), id).await?.into(),
    ))
}

/// Every order, newest first (admin).
#[utoipa::path(
    tag = "store",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<OrderView>), Unauthorized, Forbidden, Unprocessable)
)]
#[get("/admin/orders")]
pub async fn all_orders(
    req: HttpRequest,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<OrderView>>, ApiError> {
    let page = page_query(&req)?;
    Ok(web::Json(state.store.list_orders(None, page).await?.into()))
}
