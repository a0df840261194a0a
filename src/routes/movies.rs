//! Catalogue routes: movie list, movie details, genres.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::extract::{QueryParams, parse_id};
use crate::services::Page;
use crate::services::catalog::{
    self, GenreCount, MovieDetails, MovieFilter, MovieSort, MovieSummary,
};
use crate::state::AppState;

/// Longest accepted search text.
const MAX_QUERY_CHARS: usize = 200;

/// Builds a validated [`MovieFilter`] from the query string.
fn movie_filter(params: &mut QueryParams, state: &AppState) -> Result<MovieFilter, ApiError> {
    let q = params.text("q").map(str::to_owned);
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
    {
        params.problem("q", format!("must be at most {MAX_QUERY_CHARS} characters"));
    }
    let mut genre_ids = Vec::new();
    for name in params.list("genre") {
        match state.genres.resolve(&name) {
            Some(id) => genre_ids.push(id),
            None => params.problem(
                "genre",
                format!(
                    "unknown genre `{name}`; known: {}",
                    state.genres.names_joined()
                ),
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
    let sort = match params.text("sort") {
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
        ("q" = Option<String>, Query, description = "Case-insensitive title search (plain text; at most 200 characters)"),
        ("genre" = Option<Vec<String>>, Query, description = "Genre name; repeat or comma-separate: movies having all of them"),
        ("year_from" = Option<i32>, Query, description = "Earliest release year"),
        ("year_to" = Option<i32>, Query, description = "Latest release year"),
        ("min_rating" = Option<f64>, Query, description = "Minimum mean rating, 0–5"),
        ("min_votes" = Option<i32>, Query, description = "Minimum number of ratings"),
        ("sort" = Option<MovieSort>, Query, description = "popularity (default), rating, year, title, newest"),
        ("order" = Option<String>, Query, description = "asc or desc (default: desc, title: asc)"),
        ("page" = Option<u64>, Query, description = "Page number from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Items per page, 1–100 (default 20)"),
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
) -> Result<web::Json<Page<MovieSummary>>, ApiError> {
    let mut params = QueryParams::from_request(&req);
    let filter = movie_filter(&mut params, &state)?;
    let page = params.page_request()?;
    params.finish()?;
    let page = catalog::list_movies(&state.db, &state.genres, &filter, page).await?;
    Ok(web::Json(page))
}

/// A movie's details.
#[utoipa::path(
    tag = "catalogue",
    params(("id" = i32, Path, description = "Movie id")),
    responses(
        (status = 200, body = MovieDetails),
        (status = 400, description = "Id is not a positive integer", body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope),
    )
)]
#[get("/movies/{id}")]
pub async fn get_movie(
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "id")?;
    let details = state
        .movie_cache
        .get_or_load(id, || catalog::find_movie(&state.db, &state.genres, id))
        .await?
        .ok_or_else(|| ApiError::not_found("movie"))?;
    Ok(HttpResponse::Ok().json(details.as_ref()))
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
    let items = catalog::list_genres(&state.db, &state.genres).await?;
    Ok(web::Json(GenreList { items }))
}
