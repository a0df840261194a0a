//! Admin writes to the catalogue: field rules for new and changed movies,
//! and the create, update and delete transactions. Each records what it
//! changed in its transaction (the change feed); [`super::Catalog`]
//! invalidates its caches after each of them commits.

use chrono::{DateTime, Utc};
use entity::{movie, movie_genre, rating};
use sea_orm::{
    ActiveModelTrait, ActiveValue, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, SqlErr, TransactionTrait,
};

use super::credits::add_named_credits;
use super::{CatalogError, GenreCatalog, Movie, find_movie, title_search_key};
use crate::services::changes::{self, Change};
use crate::services::replace_links;
use crate::services::validation::{FieldErrors, Invalid, Lines, check_text};
use migration::search_key;

/// Longest title.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest overview.
pub const MAX_OVERVIEW_CHARS: usize = 10_000;
/// Longest poster URL.
pub const MAX_URL_CHARS: usize = 2_048;
/// Highest price, in the minor unit of the store currency.
pub const MAX_PRICE: i64 = 100_000_000;
/// Most copies a movie can have in stock.
pub const MAX_STOCK: i32 = 1_000_000;

/// A new movie as an administrator enters it.
#[derive(Clone, Debug)]
pub struct NewMovie {
    /// Title without the year (1–300 characters).
    pub title: String,
    /// Release year (1870–2100).
    pub year: Option<i32>,
    /// Genre names from the vocabulary (`GET /genres`).
    pub genres: Vec<String>,
    /// Plot summary (≤ 10,000 characters).
    pub overview: Option<String>,
    /// http(s) URL of a poster image.
    pub poster_url: Option<String>,
    /// IMDb id such as `tt0111161`.
    pub imdb_id: Option<String>,
    /// TMDB id.
    pub tmdb_id: Option<i32>,
    /// Price in the minor unit of the store currency (0–100,000,000);
    /// absent or null = not for sale.
    pub price: Option<i64>,
    /// Copies on hand (0–1,000,000); absent or null = digital (unlimited).
    pub stock: Option<i32>,
    /// Directors' names.
    pub directors: Vec<String>,
    /// Cast names in billing order.
    pub cast: Vec<String>,
}

/// Most directors a movie can list.
pub const MAX_DIRECTORS: usize = 10;
/// Most cast members a movie can list.
pub const MAX_CAST: usize = 50;
/// Longest person name.
pub const MAX_NAME_CHARS: usize = 200;

/// Changes to a movie: `None` keeps a field, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct MoviePatch {
    /// New title.
    pub title: Option<String>,
    /// New year, or null to clear.
    pub year: Option<Option<i32>>,
    /// Replaces the genres.
    pub genres: Option<Vec<String>>,
    /// New overview, or null to clear.
    pub overview: Option<Option<String>>,
    /// New poster URL, or null to clear.
    pub poster_url: Option<Option<String>>,
    /// New IMDb id, or null to clear.
    pub imdb_id: Option<Option<String>>,
    /// New TMDB id, or null to clear.
    pub tmdb_id: Option<Option<i32>>,
    /// New price (0–100,000,000), or null to stop selling the movie.
    pub price: Option<Option<i64>>,
    /// New stock (0–1,000,000), or null for digital (unlimited).
    pub stock: Option<Option<i32>>,
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

struct MovieFields {
    problems: FieldErrors,
}

impl MovieFields {
    fn new() -> Self {
        MovieFields {
            problems: FieldErrors::new(),
        }
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    fn title(&mut self, title: &str) -> String {
        let title = title.trim().to_owned();
        let chars = title.chars().count();
        let clean = check_text(&mut self.problems, "title", &title, Lines::Single);
        if clean && (chars == 0 || chars > MAX_TITLE_CHARS) {
            self.problem(
                "title",
                format!("must be 1 to {MAX_TITLE_CHARS} characters"),
            );
        }
        title
    }

    fn year(&mut self, year: Option<i32>) -> Option<i32> {
        if year.is_some_and(|y| !(1870..=2100).contains(&y)) {
            self.problem("year", "must be between 1870 and 2100");
        }
        year
    }

    fn genres(&mut self, catalog: &GenreCatalog, names: &[String]) -> Vec<i32> {
        let mut ids = Vec::new();
        for name in names {
            match catalog.resolve(name) {
                Some(id) => ids.push(id),
                None => self.problem(
                    "genres",
                    format!(
                        "unknown genre `{}`; known: {}",
                        name.trim(),
                        catalog.names_joined()
                    ),
                ),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn overview(&mut self, overview: Option<String>) -> Option<String> {
        let overview = trimmed(overview);
        if let Some(o) = &overview {
            check_text(&mut self.problems, "overview", o, Lines::Multi);
        }
        if overview
            .as_ref()
            .is_some_and(|o| o.chars().count() > MAX_OVERVIEW_CHARS)
        {
            self.problem(
                "overview",
                format!("must be at most {MAX_OVERVIEW_CHARS} characters"),
            );
        }
        overview
    }

    fn poster_url(&mut self, url: Option<String>) -> Option<String> {
        let url = trimmed(url);
        if let Some(u) = &url
            && (!(u.starts_with("https://") || u.starts_with("http://"))
                || u.chars().count() > MAX_URL_CHARS
                || u.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            self.problem(
                "poster_url",
                "must be an http(s) URL of at most 2048 characters",
            );
        }
        url
    }

    fn people(&mut self, field: &str, names: Vec<String>, most: usize) -> Vec<String> {
        let names: Vec<String> = names.iter().map(|n| n.trim().to_owned()).collect();
        if names.len() > most {
            self.problem(field, format!("must list at most {most} names"));
        }
        if names
            .iter()
            .any(|n| n.is_empty() || n.chars().count() > MAX_NAME_CHARS)
        {
            self.problem(
                field,
                format!("names must be 1 to {MAX_NAME_CHARS} characters"),
            );
        }
        for name in &names {
            if !check_text(&mut self.problems, field, name, Lines::Single) {
                break;
            }
        }
        names
    }

    fn imdb_id(&mut self, id: Option<String>) -> Option<String> {
        let id = trimmed(id);
        if let Some(i) = &id
            && !(i.len() <= 12
                && i.starts_with("tt")
                && i.len() > 2
                && i[2..].bytes().all(|b| b.is_ascii_digit()))
        {
            self.problem("imdb_id", "must look like tt0111161");
        }
        id
    }

    fn tmdb_id(&mut self, id: Option<i32>) -> Option<i32> {
        if id.is_some_and(|i| i <= 0) {
            self.problem("tmdb_id", "must be a positive integer");
        }
        id
    }

    fn price(&mut self, price: Option<i64>) -> Option<i64> {
        if price.is_some_and(|p| !(0..=MAX_PRICE).contains(&p)) {
            self.problem("price", format!("must be between 0 and {MAX_PRICE}"));
        }
        price
    }

    fn stock(&mut self, stock: Option<i32>) -> Option<i32> {
        if stock.is_some_and(|s| !(0..=MAX_STOCK).contains(&s)) {
            self.problem("stock", format!("must be between 0 and {MAX_STOCK}"));
        }
        stock
    }

    fn finish(self) -> Result<(), Invalid> {
        Invalid::check(self.problems)
    }
}

fn conflict_on_external_id(err: DbErr) -> CatalogError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => CatalogError::DuplicateExternalId,
        _ => err.into(),
    }
}

/// The columns every new movie starts with: no ratings yet, created and
/// updated `now`, not from MovieLens. Admin writes and imports fill in the
/// rest with struct-update syntax (`..unrated_movie(now)`).
pub fn unrated_movie(now: DateTime<Utc>) -> movie::ActiveModel {
    movie::ActiveModel {
        movielens_id: Set(None),
        rating_count: Set(0),
        rating_sum: Set(0),
        avg_rating: Set(0.0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Replaces a movie's genres.
pub async fn set_movie_genres(
    db: &impl ConnectionTrait,
    movie_id: i32,
    genre_ids: &[i32],
) -> Result<(), DbErr> {
    let rows = genre_ids
        .iter()
        .map(|&genre_id| movie_genre::ActiveModel {
            movie_id: Set(movie_id),
            genre_id: Set(genre_id),
        })
        .collect();
    replace_links(db, movie_genre::Column::MovieId.eq(movie_id), rows).await
}

/// Adds a movie to the catalogue (admin).
pub(super) async fn create_movie(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    input: NewMovie,
) -> Result<Movie, CatalogError> {
    let mut fields = MovieFields::new();
    let title = fields.title(&input.title);
    let year = fields.year(input.year);
    let genre_ids = fields.genres(genres, &input.genres);
    let overview = fields.overview(input.overview);
    let poster_url = fields.poster_url(input.poster_url);
    let imdb_id = fields.imdb_id(input.imdb_id);
    let tmdb_id = fields.tmdb_id(input.tmdb_id);
    let price = fields.price(input.price);
    let stock = fields.stock(input.stock);
    let directors = fields.people("directors", input.directors, MAX_DIRECTORS);
    let cast = fields.people("cast", input.cast, MAX_CAST);
    fields.finish()?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let created = movie::ActiveModel {
        title_search: Set(title_search_key(&title)),
        search_key: Set(search_key(&title)),
        title: Set(title),
        year: Set(year),
        overview: Set(overview),
        poster_url: Set(poster_url),
        imdb_id: Set(imdb_id),
        tmdb_id: Set(tmdb_id),
        price: Set(price),
        stock: Set(stock),
        ..unrated_movie(now)
    }
    .insert(&txn)
    .await
    .map_err(conflict_on_external_id)?;
    set_movie_genres(&txn, created.id, &genre_ids).await?;
    add_named_credits(&txn, created.id, &directors, &cast).await?;
    changes::record(&txn, &[Change::Movies(vec![created.id])]).await?;
    txn.commit().await?;
    log::info!("created movie {}", created.id);
    find_movie(db, genres, created.id)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Changes some of a movie's fields (admin); [`Catalog::update_movie`]
/// invalidates after it.
pub(super) async fn update_movie(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    id: i32,
    patch: MoviePatch,
) -> Result<Movie, CatalogError> {
    let mut fields = MovieFields::new();
    let title = patch.title.as_deref().map(|t| fields.title(t));
    let year = patch.year.map(|y| fields.year(y));
    let genre_ids = patch.genres.as_ref().map(|g| fields.genres(genres, g));
    let overview = patch.overview.map(|o| fields.overview(o));
    let poster_url = patch.poster_url.map(|u| fields.poster_url(u));
    let imdb_id = patch.imdb_id.map(|i| fields.imdb_id(i));
    let tmdb_id = patch.tmdb_id.map(|i| fields.tmdb_id(i));
    let price = patch.price.map(|p| fields.price(p));
    let stock = patch.stock.map(|s| fields.stock(s));
    fields.finish()?;

    let txn = crate::services::begin_write(db).await?;
    let existing = movie::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(CatalogError::NotFound)?;
    let mut active: movie::ActiveModel = existing.into();
    if let Some(title) = title {
        active.title_search = Set(title_search_key(&title));
        active.search_key = Set(search_key(&title));
        active.title = Set(title);
    }
    set_given(&mut active.year, year);
    set_given(&mut active.overview, overview);
    set_given(&mut active.poster_url, poster_url);
    set_given(&mut active.imdb_id, imdb_id);
    set_given(&mut active.tmdb_id, tmdb_id);
    // Under the row lock, so an order placed meanwhile either sees the old
    // stock and commits first or waits and decrements the new one.
    set_given(&mut active.price, price);
    set_given(&mut active.stock, stock);
    active.updated_at = Set(Utc::now());
    active.update(&txn).await.map_err(conflict_on_external_id)?;
    if let Some(ids) = genre_ids {
        set_movie_genres(&txn, id, &ids).await?;
    }
    changes::record(&txn, &[Change::Movies(vec![id])]).await?;
    txn.commit().await?;
    find_movie(db, genres, id)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Sets a column the patch gives (`None`: the field was absent, leave it).
fn set_given<V: Into<sea_orm::Value>>(column: &mut ActiveValue<V>, given: Option<V>) {
    if let Some(value) = given {
        *column = Set(value);
    }
}

/// Most raters of a deleted movie named one by one in the change log;
/// beyond this, the deletion is announced as a change of everything.
const MAX_RATERS_NAMED: usize = 1000;

/// Removes a movie with its ratings, genres and list entries (admin), and
/// records the movie and its raters (their rating counts) as changed.
pub(super) async fn delete_movie(db: &DatabaseConnection, id: i32) -> Result<(), CatalogError> {
    let txn = crate::services::begin_write(db).await?;
    let raters: Vec<i32> = rating::Entity::find()
        .select_only()
        .column(rating::Column::UserId)
        .filter(rating::Column::MovieId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let result = movie::Entity::delete_by_id(id).exec(&txn).await?;
    if result.rows_affected == 0 {
        return Err(CatalogError::NotFound);
    }
    let mut changed = vec![Change::Movies(vec![id])];
    if raters.len() > MAX_RATERS_NAMED {
        changed.push(Change::Everything);
    } else {
        changed.extend(raters.into_iter().map(Change::User));
    }
    changes::record(&txn, &changed).await?;
    txn.commit().await?;
    log::info!("deleted movie {id}");
    Ok(())
}
