//! The caller's account, ratings and lists (and, for admins, anyone's).

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, put, web};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::extract::{PageQuery, page_query, parse_id};
use crate::routes::responses::{AnotherUsersData, NotFound, Unauthorized, Unprocessable};
use crate::routes::views::Page;
use crate::routes::views::accounts::{UpdateMeRequest, UserProfile};
use crate::routes::views::lists::WatchlistEntry;
use crate::routes::views::ratings::RatedMovie;
use crate::services::lists::MovieList;
use crate::state::AppState;

/// The caller's profile.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = UserProfile), Unauthorized)
)]
#[get("/users/me")]
pub async fn me(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<UserProfile>, ApiError> {
    Ok(web::Json(state.accounts.profile(user.id).await?.into()))
}

/// Change preferred genres, email or password; the email and the password
/// need `current_password`, whose attempts are rate-limited like sign-in. A
/// new password ends every session of the account, this one included.
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, body = UserProfile),
        Unauthorized, Unprocessable,
        (status = 409, description = "Email taken", body = ErrorEnvelope),
        (status = 429, description = "Too many password attempts", body = ErrorEnvelope),
    )
)]
#[patch("/users/me")]
pub async fn update_me(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<UpdateMeRequest>,
) -> Result<web::Json<UserProfile>, ApiError> {
    // A stolen token must not become a password-guessing oracle.
    if body.current_password.is_some() {
        state
            .auth_limiter
            .check(&req, state.settings.trust_forwarded_for)?;
    }
    let profile = state
        .accounts
        .update_me(user.id, body.into_inner().into())
        .await?;
    Ok(web::Json(profile.into()))
}

/// The user a `/users/{id}/…` route is about: the caller or, for an admin,
/// any existing account (403 for someone else's, 404 for no such account).
pub(crate) async fn accessible_user(
    raw_id: &str,
    caller: &AuthUser,
    state: &AppState,
) -> Result<i32, ApiError> {
    let id = parse_id(raw_id, "id")?;
    caller.ensure_access(id)?;
    if id != caller.id {
        state.accounts.ensure_exists(id).await?;
    }
    Ok(id)
}

/// The caller's ratings, most recent first.
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<RatedMovie>), Unauthorized)
)]
#[get("/users/me/ratings")]
pub async fn my_ratings(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<RatedMovie>>, ApiError> {
    let page = page_query(&req)?;
    Ok(web::Json(state.ratings.list(user.id, page).await?.into()))
}

/// A user's ratings (the user themself or an admin).
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1), PageQuery),
    responses(
        (status = 200, body = Page<RatedMovie>),
        Unauthorized, AnotherUsersData,
    )
)]
#[get("/users/{id}/ratings")]
pub async fn user_ratings(
    req: HttpRequest,
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<RatedMovie>>, ApiError> {
    let id = accessible_user(&path, &user, &state).await?;
    let page = page_query(&req)?;
    Ok(web::Json(state.ratings.list(id, page).await?.into()))
}

/// The page of `owner`'s `list` that the query string asks for (the
/// watchlist and "not interested" routes alike).
async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    list: MovieList,
    owner: i32,
) -> Result<web::Json<Page<WatchlistEntry>>, ApiError> {
    let page = page_query(req)?;
    let entries = state.lists.entries(list, owner, page).await?;
    Ok(web::Json(entries.into()))
}

/// Adds `path`'s movie to the caller's `list` (`add`) or takes it off (the
/// watchlist and "not interested" routes alike).
async fn change_list(
    state: &AppState,
    user: &AuthUser,
    path: &str,
    list: MovieList,
    add: bool,
) -> Result<HttpResponse, ApiError> {
    let movie_id = parse_id(path, "movie_id")?;
    state.lists.set(list, user.id, movie_id, add).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's watchlist, most recently added first.
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<WatchlistEntry>), Unauthorized)
)]
#[get("/users/me/watchlist")]
pub async fn my_watchlist(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<WatchlistEntry>>, ApiError> {
    list_page(&req, &state, MovieList::Watchlist, user.id).await
}

/// A user's watchlist (the user themself or an admin).
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1), PageQuery),
    responses(
        (status = 200, body = Page<WatchlistEntry>),
        Unauthorized, AnotherUsersData,
    )
)]
#[get("/users/{id}/watchlist")]
pub async fn user_watchlist(
    req: HttpRequest,
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<WatchlistEntry>>, ApiError> {
    let id = accessible_user(&path, &user, &state).await?;
    list_page(&req, &state, MovieList::Watchlist, id).await
}

/// Add a movie to the watchlist (idempotent).
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("movie_id" = i32, Path, minimum = 1)),
    responses((status = 204), Unauthorized, NotFound)
)]
#[put("/users/me/watchlist/{movie_id}")]
pub async fn add_to_watchlist(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    change_list(&state, &user, &path, MovieList::Watchlist, true).await
}

/// Remove a movie from the watchlist (idempotent).
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("movie_id" = i32, Path, minimum = 1)),
    responses((status = 204), Unauthorized)
)]
#[delete("/users/me/watchlist/{movie_id}")]
pub async fn remove_from_watchlist(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    change_list(&state, &user, &path, MovieList::Watchlist, false).await
}

/// The caller's "not interested" movies, most recently dismissed first
/// (`added_at` is when each was dismissed).
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<WatchlistEntry>), Unauthorized)
)]
#[get("/users/me/not-interested")]
pub async fn my_not_interested(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<WatchlistEntry>>, ApiError> {
    list_page(&req, &state, MovieList::NotInterested, user.id).await
}

/// Mark a movie "not interested": it is never recommended to the caller.
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("movie_id" = i32, Path, minimum = 1)),
    responses((status = 204), Unauthorized, NotFound)
)]
#[put("/users/me/not-interested/{movie_id}")]
pub async fn dismiss(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    change_list(&state, &user, &path, MovieList::NotInterested, true).await
}

/// Undo "not interested" (idempotent).
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("movie_id" = i32, Path, minimum = 1)),
    responses((status = 204), Unauthorized)
)]
#[delete("/users/me/not-interested/{movie_id}")]
pub async fn undismiss(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    change_list(&state, &user, &path, MovieList::NotInterested, false).await
}
