//! Administration of accounts, and catalogue-wide rating statistics.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};

use crate::auth::AdminUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::extract::{QueryParams, parse_id};
use crate::services::Page;
use crate::services::accounts::{self, RoleChangeRequest, UserProfile};
use crate::services::ratings::{self, RatingDistribution};
use crate::state::AppState;

/// Every account, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("page" = Option<u64>, Query, minimum = 1, maximum = 2147483647), ("per_page" = Option<u64>, Query, minimum = 1, maximum = 100)),
    responses(
        (status = 200, body = Page<UserProfile>),
        (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope),
    )
)]
#[get("/admin/users")]
pub async fn list_users(
    req: HttpRequest,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<UserProfile>>, ApiError> {
    let mut params = QueryParams::from_request(&req);
    let page = params.page_request()?;
    params.finish()?;
    Ok(web::Json(
        accounts::list_users(&state.db, &state.genres, page).await?,
    ))
}

/// Change an account's role.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    request_body = RoleChangeRequest,
    responses(
        (status = 200, body = UserProfile),
        (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "Would leave no administrator", body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn change_role(
    path: web::Path<String>,
    _admin: AdminUser,
    state: web::Data<AppState>,
    body: web::Json<RoleChangeRequest>,
) -> Result<web::Json<UserProfile>, ApiError> {
    let id = parse_id(&path, "id")?;
    let profile = accounts::change_role(&state.db, &state.genres, id, body.role).await?;
    Ok(web::Json(profile))
}

/// Delete an account with its ratings and lists.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses(
        (status = 204),
        (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
        (status = 409, description = "The last administrator", body = ErrorEnvelope),
    )
)]
#[delete("/admin/users/{id}")]
pub async fn delete_user(
    path: web::Path<String>,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "id")?;
    let rated = accounts::delete_user(&state.db, id).await?;
    for movie_id in rated {
        state.catalog_cache.movie_changed(movie_id).await;
    }
    state.recommender.user_changed(id);
    Ok(HttpResponse::NoContent().finish())
}

/// How many ratings there are of each value, 0.5 to 5.0 (for the admin
/// page's chart).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = RatingDistribution),
        (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope),
    )
)]
#[get("/admin/ratings/distribution")]
pub async fn rating_distribution(
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<RatingDistribution>, ApiError> {
    Ok(web::Json(ratings::distribution(&state.db).await?))
}
