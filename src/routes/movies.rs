//! Catalogue routes: movie list and details, admin movie management, the
//! caller's rating of a movie, genres.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AdminUser, AuthUser, Authorized, MaybeAuthUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::extract::{QueryParams, parse_id};
use crate::routes::responses::{BadId, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable};
use crate::routes::views::Page;
use crate::routes::views::catalog::{
    GenreCount, MovieDetails, MoviePatch, MovieSummary, NewMovie, PersonView, Suggestion,
};
use crate::routes::views::ratings::{RatingRequest, RatingView};
use crate::services::catalog::{MovieFilter, MovieSort};
use crate::services::ratings::Upsert;
use crate::state::AppState;

/// Longest accepted search text.
const MAX_QUERY_CHARS: usize = 200;
/// Longest accepted type-ahead text.
const MAX_SUGGEST_CHARS: usize = 100;
/// Suggestions per answer.
const SUGGESTIONS: u64 = 8;

/// Builds a validated [`MovieFilter`] from the query string.
fn movie_filter(params: &mut QueryParams, state: &AppState) -> Result<MovieFilter, ApiError> {
    let q = params.text("q").map(str::to_owned);
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        params.problem("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
    }
    let mut genre_ids = Vec::new();
    let genres = state.catalog.genres();
    for name in params.list("genre") {
        match genres.resolve(&name) {
            Some(id) => genre_ids.push(id),
            None => params.problem(
                "genre",
                format!("unknown genre `{name}`; known: {}", genres.names_joined()),
            ),
        }
    }
    genre_ids.sort_unstable();
    genre_ids.dedup();
    let year_from = params.number_in::<i32>("year_from", 1800, 2200)?;
    let year_to = params.number_in::<i32>("year_to", 1800, 2200)?;
    if let (Some(from), Some(to)) = (year_from, year_to)
        && from > to
    {
        params.problem("year_from", "must not be after year_to");
    }
    let min_rating = params.number_in::<f64>("min_rating", 0.0, 5.0)?;
    let min_votes = params.number_in::<i32>("min_votes", 0, i32::MAX)?;
    let person_id = params.number_in::<i32>("person", 1, i32::MAX)?;
    let sort = match params.text("sort") {
        // A search ranks by relevance unless told otherwise.
        None if q.is_some() => MovieSort::Relevance,
        None => MovieSort::default(),
        Some(raw) => MovieSort::parse(raw).unwrap_or_else(|| {
            params.problem(
                "sort",
                "must be one of popularity, rating, year, title, newest",
            );
            MovieSort::default()
        }),
    };
    let descending = match params.text("order") {
        None => sort.default_descending(),
        Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            params.problem("order", "must be asc or desc");
            sort.default_descending()
        }
    };
    Ok(MovieFilter {
        q,
        genre_ids,
        person_id,
        year_from,
        year_to,
        min_rating,
        min_votes,
        sort,
        descending,
    })
}

/// List movies with search, filters, sorting and pagination.
#[utoipa::path(
    tag = "catalogue",
    params(
        ("q" = Option<String>, Query, description = "Title search, ignoring case, spaces and punctuation, forgiving one typo in words of five letters or more (at most 200 characters); ranked by relevance unless `sort` is given"),
        ("genre" = Option<Vec<String>>, Query, description = "Genre name; repeat or comma-separate: movies having all of them"),
        ("year_from" = Option<i32>, Query, minimum = 1800, maximum = 2200, description = "Earliest release year"),
        ("year_to" = Option<i32>, Query, minimum = 1800, maximum = 2200, description = "Latest release year"),
        ("min_rating" = Option<f64>, Query, minimum = 0, maximum = 5, description = "Minimum mean rating, 0–5"),
        ("min_votes" = Option<i32>, Query, minimum = 0, description = "Minimum number of ratings"),
        ("person" = Option<i32>, Query, minimum = 1, description = "A person id: movies crediting them in any role"),
        ("sort" = Option<MovieSort>, Query, description = "popularity (default; relevance with `q`), rating, year, title, newest"),
        ("order" = Option<String>, Query, description = "asc or desc (default: desc, title: asc)"),
        ("page" = Option<u64>, Query, minimum = 1, maximum = 2147483647, description = "Page number from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, minimum = 1, maximum = 100, description = "Items per page, 1–100 (default 20)"),
    ),
    responses(
        (status = 200, body = Page<MovieSummary>),
        (status = 400, description = "Malformed query", body = ErrorEnvelope),
        (status = 422, description = "Invalid filter value", body = ErrorEnvelope),
    )
)]
#[get("/movies")]
pub async fn list_movies(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::from_request(&req);
    let filter = movie_filter(&mut params, &state)?;
    let page = params.page_request()?;
    params.finish()?;
    let page = state.catalog.list_movies(&filter, page).await?;
    Ok(HttpResponse::Ok().json(Page::<MovieSummary>::from(page.as_ref())))
}

/// A movie's details, with the caller's own rating when signed in.
#[derive(Serialize, ToSchema)]
pub struct MovieResponse<'a> {
    /// The movie.
    #[serde(flatten)]
    #[schema(inline)]
    pub movie: &'a MovieDetails,
    /// The caller's rating (null when not rated); absent without a token.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub my_rating: Option<Option<f64>>,
}

/// A movie's details (with `my_rating` when a token is sent).
#[utoipa::path(
    tag = "catalogue",
    params(("id" = i32, Path, minimum = 1, description = "Movie id")),
    responses(
        (status = 200, body = MovieResponse),
        NotFound, BadId,
        (status = 401, description = "A token was sent but is invalid", body = ErrorEnvelope),
    )
)]
#[get("/movies/{id}")]
pub async fn get_movie(
    path: web::Path<String>,
    user: MaybeAuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "id")?;
    let details = state.catalog.movie(id).await?;
    let my_rating = match user.0 {
        Some(user) => Some(state.ratings.rating_of(user.id, id).await?),
        None => None,
    };
    Ok(HttpResponse::Ok().json(MovieResponse {
        movie: &MovieDetails::from(details.as_ref()),
        my_rating,
    }))
}

/// Add a movie (admin). Answers 201 with a `Location` header.
#[utoipa::path(
    tag = "catalogue",
    security(("bearer" = [])),
    request_body = NewMovie,
    responses(
        (status = 201, body = MovieDetails),
        Unauthorized, Forbidden, Unprocessable,
        (status = 409, description = "imdb_id or tmdb_id already used", body = ErrorEnvelope),
    )
)]
#[post("/movies")]
pub async fn create_movie(
    Authorized(_admin, body): Authorized<AdminUser, web::Json<NewMovie>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let movie = state.catalog.create_movie(body.into_inner().into()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/movies/{}", movie.id())))
        .json(MovieDetails::from(movie)))
}

/// Change some of a movie's fields (admin); `null` clears a field.
#[utoipa::path(
    tag = "catalogue",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    request_body = MoviePatch,
    responses(
        (status = 200, body = MovieDetails),
        Unauthorized, Forbidden, NotFound, Conflict, Unprocessable,
    )
)]
#[patch("/movies/{id}")]
pub async fn update_movie(
    path: web::Path<String>,
    Authorized(_admin, body): Authorized<AdminUser, web::Json<MoviePatch>>,
    state: web::Data<AppState>,
) -> Result<web::Json<MovieDetails>, ApiError> {
    let id = parse_id(&path, "id")?;
    let movie = state
        .catalog
        .update_movie(id, body.into_inner().into())
        .await?;
    Ok(web::Json(movie.into()))
}

/// Delete a movie with its ratings (admin).
#[utoipa::path(
    tag = "catalogue",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses((status = 204), Unauthorized, Forbidden, NotFound)
)]
#[delete("/movies/{id}")]
pub async fn delete_movie(
    path: web::Path<String>,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "id")?;
    state.catalog.delete_movie(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rate a movie: 201 for a new rating, 200 for a changed one.
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    request_body = RatingRequest,
    responses(
        (status = 201, body = RatingView),
        (status = 200, body = RatingView),
        Unauthorized, NotFound,
        (status = 422, description = "Not 0.5–5.0 in half steps", body = ErrorEnvelope),
    )
)]
#[put("/movies/{id}/rating")]
pub async fn put_rating(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
    body: web::Json<RatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = parse_id(&path, "id")?;
    let (rating, outcome) = state.ratings.put(user.id, movie_id, body.rating).await?;
    let view = RatingView::from(rating);
    Ok(match outcome {
        Upsert::Created => HttpResponse::Created().json(view),
        Upsert::Updated => HttpResponse::Ok().json(view),
    })
}

/// Remove the caller's rating of a movie.
#[utoipa::path(
    tag = "ratings",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses(
        (status = 204),
        Unauthorized,
        (status = 404, description = "No such movie or no rating", body = ErrorEnvelope),
    )
)]
#[delete("/movies/{id}/rating")]
pub async fn delete_rating(
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let movie_id = parse_id(&path, "id")?;
    state.ratings.delete(user.id, movie_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The genre list.
#[derive(Serialize, ToSchema)]
pub struct GenreList {
    /// Every genre with its movie count.
    pub items: Vec<GenreCount>,
}

/// Every genre with the number of movies in it.
#[utoipa::path(tag = "catalogue", responses((status = 200, body = GenreList)))]
#[get("/genres")]
pub async fn list_genres(state: web::Data<AppState>) -> Result<web::Json<GenreList>, ApiError> {
    let items = state.catalog.genre_counts().await?;
    Ok(web::Json(GenreList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Type-ahead: up to 8 movies whose titles best match `q`, best first.
#[utoipa::path(
    tag = "catalogue",
    params(("q" = String, Query, min_length = 1, max_length = 100, description = "What has been typed so far")),
    responses(
        (status = 200, body = Vec<Suggestion>),
        (status = 422, description = "`q` missing, empty or longer than 100 characters", body = ErrorEnvelope),
    )
)]
#[get("/search/suggest")]
pub async fn suggest(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<Suggestion>>, ApiError> {
    let mut params = QueryParams::from_request(&req);
    let q = params
        .text("q")
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let chars = q.chars().count();
    if chars == 0 || chars > MAX_SUGGEST_CHARS {
        params.problem("q", format!("must be 1 to {MAX_SUGGEST_CHARS} characters"));
    }
    params.finish()?;
    let movies = state.catalog.suggest(&q, SUGGESTIONS).await?;
    Ok(web::Json(movies.into_iter().map(Into::into).collect()))
}

/// A person (cast or director) and their movies, most recent first.
#[utoipa::path(
    tag = "catalogue",
    params(("id" = i32, Path, minimum = 1, description = "Person id")),
    responses(
        (status = 200, body = PersonView),
        NotFound, BadId,
    )
)]
#[get("/people/{id}")]
pub async fn get_person(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<PersonView>, ApiError> {
    let id = parse_id(&path, "id")?;
    Ok(web::Json(state.catalog.person(id).await?.into()))
}
