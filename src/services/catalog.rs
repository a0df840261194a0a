//! The movie catalogue: listing with filters and sorts, movie details (with
//! an invalidation-safe cache), admin create/update/delete, and the genre
//! vocabulary.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::{genre, movie, movie_genre};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, NullOrdering, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    SqlErr, TransactionTrait,
};

use super::validation::{FieldErrors, Invalid};
use super::{Page, PageRequest};
use crate::cache::{CacheCounts, GuardedCache};

/// Why a catalogue write failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A field breaks its rules.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such movie.
    #[error("movie not found")]
    NotFound,
    /// Another movie has this IMDb or TMDB id.
    #[error("another movie already has this imdb_id or tmdb_id")]
    DuplicateExternalId,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The genre vocabulary, loaded once: genres are created by migrations and
/// never change while the service runs.
#[derive(Debug, Default)]
pub struct GenreCatalog {
    names: Vec<(i32, String)>,
    by_id: HashMap<i32, usize>,
    by_lower_name: HashMap<String, i32>,
}

impl GenreCatalog {
    /// Reads every genre.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let rows = genre::Entity::find()
            .order_by_asc(genre::Column::Id)
            .all(db)
            .await?;
        Ok(Self::from_pairs(rows.into_iter().map(|g| (g.id, g.name))))
    }

    /// Builds a catalogue from `(id, name)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i32, String)>) -> Self {
        let names: Vec<(i32, String)> = pairs.into_iter().collect();
        let by_id = names
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (*id, i))
            .collect();
        let by_lower_name = names
            .iter()
            .map(|(id, name)| (name.to_lowercase(), *id))
            .collect();
        GenreCatalog {
            names,
            by_id,
            by_lower_name,
        }
    }

    /// The name of a genre id.
    pub fn name(&self, id: i32) -> Option<&str> {
        self.by_id.get(&id).map(|&i| self.names[i].1.as_str())
    }

    /// The id of a genre name, ignoring case and surrounding spaces.
    pub fn resolve(&self, name: &str) -> Option<i32> {
        self.by_lower_name.get(&name.trim().to_lowercase()).copied()
    }

    /// Every `(id, name)` in id order.
    pub fn all(&self) -> &[(i32, String)] {
        &self.names
    }

    /// Every name, for error messages.
    pub fn names_joined(&self) -> String {
        self.names
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A movie as it appears in lists.
#[derive(Clone, Debug)]
pub struct MovieSummary {
    /// Movie id.
    pub id: i32,
    /// Title without the year.
    pub title: String,
    /// Release year.
    pub year: Option<i32>,
    /// Genre names, alphabetical.
    pub genres: Vec<String>,
    /// Poster image URL.
    pub poster_url: Option<String>,
    /// Mean rating (0.5–5.0, two decimals); null when unrated.
    pub avg_rating: Option<f64>,
    /// Number of ratings.
    pub rating_count: i32,
    /// Price in the minor unit of the store currency; null = not for sale.
    pub price: Option<i64>,
    /// Copies on hand; null = digital (unlimited).
    pub stock: Option<i32>,
}

/// A movie's full record.
#[derive(Clone, Debug)]
pub struct MovieDetails {
    /// Movie id.
    pub id: i32,
    /// Title without the year.
    pub title: String,
    /// Release year.
    pub year: Option<i32>,
    /// Genre names, alphabetical.
    pub genres: Vec<String>,
    /// Plot summary.
    pub overview: Option<String>,
    /// Poster image URL.
    pub poster_url: Option<String>,
    /// Mean rating (0.5–5.0, two decimals); null when unrated.
    pub avg_rating: Option<f64>,
    /// Number of ratings.
    pub rating_count: i32,
    /// IMDb id, when known.
    pub imdb_id: Option<String>,
    /// TMDB id, when known.
    pub tmdb_id: Option<i32>,
    /// Price in the minor unit of the store currency; null = not for sale.
    pub price: Option<i64>,
    /// Copies on hand; null = digital (unlimited).
    pub stock: Option<i32>,
}

/// A genre with the number of movies in it.
#[derive(Clone, Debug)]
pub struct GenreCount {
    /// Genre id.
    pub id: i32,
    /// Genre name.
    pub name: String,
    /// Movies having this genre.
    pub movie_count: i64,
}

/// How a movie list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MovieSort {
    /// Most rated first (default).
    #[default]
    Popularity,
    /// Highest mean rating first.
    Rating,
    /// Most recent release first.
    Year,
    /// Alphabetical.
    Title,
    /// Most recently added first.
    Newest,
}

impl MovieSort {
    /// Every sort, the default first.
    pub const ALL: [MovieSort; 5] = [
        MovieSort::Popularity,
        MovieSort::Rating,
        MovieSort::Year,
        MovieSort::Title,
        MovieSort::Newest,
    ];

    /// The name `sort` takes.
    pub fn name(self) -> &'static str {
        match self {
            MovieSort::Popularity => "popularity",
            MovieSort::Rating => "rating",
            MovieSort::Year => "year",
            MovieSort::Title => "title",
            MovieSort::Newest => "newest",
        }
    }

    /// Parses the `sort` query value.
    pub fn parse(raw: &str) -> Option<Self> {
        MovieSort::ALL.into_iter().find(|sort| sort.name() == raw)
    }

    /// The natural direction: alphabetical ascends, the rest descend.
    pub fn default_descending(self) -> bool {
        self != MovieSort::Title
    }
}

/// A validated movie-list request.
#[derive(Clone, Debug, Default)]
pub struct MovieFilter {
    /// Case-insensitive title substring.
    pub q: Option<String>,
    /// Genre ids the movie must all have.
    pub genre_ids: Vec<i32>,
    /// Earliest release year.
    pub year_from: Option<i32>,
    /// Latest release year.
    pub year_to: Option<i32>,
    /// Minimum mean rating.
    pub min_rating: Option<f64>,
    /// Minimum number of ratings.
    pub min_votes: Option<i32>,
    /// Sort key.
    pub sort: MovieSort,
    /// Descending order?
    pub descending: bool,
}

/// Escapes `%`, `_` and `\` so user text matches literally in `LIKE … ESCAPE '\'`.
pub fn like_contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The normalised form of a title used for search and sorting.
pub fn title_search_key(title: &str) -> String {
    title.trim().to_lowercase()
}

/// Rounds a mean rating for display; `None` when unrated.
pub fn display_average(row: &movie::Model) -> Option<f64> {
    (row.rating_count > 0).then(|| (row.avg_rating * 100.0).round() / 100.0)
}

fn filtered(filter: &MovieFilter) -> Select<movie::Entity> {
    let mut select = movie::Entity::find();
    if let Some(q) = &filter.q {
        select = select.filter(
            Expr::col((movie::Entity, movie::Column::TitleSearch))
                .like(LikeExpr::new(like_contains_pattern(&title_search_key(q))).escape('\\')),
        );
    }
    // EXISTS (not IN): the planner can then walk the sort index and probe
    // movie_genres per movie, stopping after a page instead of sorting the genre.
    for &genre_id in &filter.genre_ids {
        select = select.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(movie_genre::Entity)
                .and_where(
                    Expr::col((movie_genre::Entity, movie_genre::Column::MovieId))
                        .equals((movie::Entity, movie::Column::Id)),
                )
                .and_where(
                    Expr::col((movie_genre::Entity, movie_genre::Column::GenreId)).eq(genre_id),
                )
                .to_owned(),
        ));
    }
    if let Some(year) = filter.year_from {
        select = select.filter(movie::Column::Year.gte(year));
    }
    if let Some(year) = filter.year_to {
        select = select.filter(movie::Column::Year.lte(year));
    }
    if let Some(min) = filter.min_rating {
        select = select
            .filter(movie::Column::AvgRating.gte(min))
            .filter(movie::Column::RatingCount.gt(0));
    }
    if let Some(min) = filter.min_votes {
        select = select.filter(movie::Column::RatingCount.gte(min));
    }
    select
}

fn ordered(
    select: Select<movie::Entity>,
    sort: MovieSort,
    descending: bool,
) -> Select<movie::Entity> {
    let direction = || if descending { Order::Desc } else { Order::Asc };
    let select = match sort {
        MovieSort::Popularity => select
            .order_by(movie::Column::RatingCount, direction())
            .order_by(movie::Column::AvgRating, direction()),
        MovieSort::Rating => select
            .order_by(movie::Column::AvgRating, direction())
            .order_by(movie::Column::RatingCount, direction()),
        MovieSort::Year => select
            .order_by_with_nulls(movie::Column::Year, direction(), NullOrdering::Last)
            .order_by(movie::Column::TitleSearch, Order::Asc),
        MovieSort::Title => select.order_by(movie::Column::TitleSearch, direction()),
        MovieSort::Newest => select.order_by(movie::Column::CreatedAt, direction()),
    };
    // The id makes every order total, so pages never overlap or skip.
    select.order_by(movie::Column::Id, direction())
}

/// Genre names of each movie, alphabetical.
pub async fn genres_of(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    movie_ids: &[i32],
) -> Result<HashMap<i32, Vec<String>>, DbErr> {
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    if movie_ids.is_empty() {
        return Ok(out);
    }
    let links = movie_genre::Entity::find()
        .filter(movie_genre::Column::MovieId.is_in(movie_ids.iter().copied()))
        .all(db)
        .await?;
    for link in links {
        if let Some(name) = genres.name(link.genre_id) {
            out.entry(link.movie_id).or_default().push(name.to_owned());
        }
    }
    for names in out.values_mut() {
        names.sort();
    }
    Ok(out)
}

/// Summaries of the given movie rows, in the same order.
pub async fn summarise(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    rows: Vec<movie::Model>,
) -> Result<Vec<MovieSummary>, DbErr> {
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut genre_map = genres_of(db, genres, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| MovieSummary {
            avg_rating: display_average(&row),
            genres: genre_map.remove(&row.id).unwrap_or_default(),
            id: row.id,
            title: row.title,
            year: row.year,
            poster_url: row.poster_url,
            rating_count: row.rating_count,
            price: row.price,
            stock: row.stock,
        })
        .collect())
}

/// One page of movies matching `filter`.
pub async fn list_movies(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    filter: &MovieFilter,
    page: PageRequest,
) -> Result<Page<MovieSummary>, DbErr> {
    let select = filtered(filter);
    let total = select.clone().count(db).await?;
    let rows = if page.offset() >= total {
        Vec::new()
    } else {
        ordered(select, filter.sort, filter.descending)
            .limit(page.per_page)
            .offset(page.offset())
            .all(db)
            .await?
    };
    Ok(Page::new(summarise(db, genres, rows).await?, page, total))
}

/// A movie's details, straight from the database.
pub async fn find_movie(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    id: i32,
) -> Result<Option<MovieDetails>, DbErr> {
    Ok(find_movies(db, genres, &[id]).await?.pop())
}

/// Details of the movies with these ids (missing ones are skipped).
pub async fn find_movies(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    ids: &[i32],
) -> Result<Vec<MovieDetails>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = movie::Entity::find()
        .filter(movie::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let found: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut genre_map = genres_of(db, genres, &found).await?;
    Ok(rows
        .into_iter()
        .map(|row| MovieDetails {
            avg_rating: display_average(&row),
            genres: genre_map.remove(&row.id).unwrap_or_default(),
            id: row.id,
            title: row.title,
            year: row.year,
            overview: row.overview,
            poster_url: row.poster_url,
            rating_count: row.rating_count,
            imdb_id: row.imdb_id,
            tmdb_id: row.tmdb_id,
            price: row.price,
            stock: row.stock,
        })
        .collect())
}

#[derive(FromQueryResult)]
struct GenreCountRow {
    genre_id: i32,
    movie_count: i64,
}

/// Every genre with its movie count, in vocabulary order.
pub async fn list_genres(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
) -> Result<Vec<GenreCount>, DbErr> {
    let counts: HashMap<i32, i64> = movie_genre::Entity::find()
        .select_only()
        .column(movie_genre::Column::GenreId)
        .column_as(movie_genre::Column::MovieId.count(), "movie_count")
        .group_by(movie_genre::Column::GenreId)
        .into_model::<GenreCountRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.genre_id, row.movie_count))
        .collect();
    Ok(genres
        .all()
        .iter()
        .map(|(id, name)| GenreCount {
            id: *id,
            name: name.clone(),
            movie_count: counts.get(id).copied().unwrap_or(0),
        })
        .collect())
}

/// The catalogue's caches: movie details by id and list pages by query.
/// List pages are dropped on any movie write because aggregates move
/// movies between pages.
struct CatalogCache {
    details: GuardedCache<i32, MovieDetails>,
    pages: GuardedCache<String, Page<MovieSummary>>,
}

/// The catalogue service: owns the database handle, the genre vocabulary
/// and the caches of movie details and list pages. Its own writes
/// invalidate after they commit; other services whose writes change a
/// movie (its ratings, its stock) call [`Catalog::movies_changed`] after
/// their commit.
pub struct Catalog {
    db: DatabaseConnection,
    genres: Arc<GenreCatalog>,
    cache: CatalogCache,
}

impl Catalog {
    /// The service, with caches of up to `cache_capacity` movies and as
    /// many pages (0 disables), each entry living at most `ttl`.
    pub fn new(
        db: DatabaseConnection,
        genres: Arc<GenreCatalog>,
        cache_capacity: u64,
        ttl: Option<Duration>,
    ) -> Self {
        Catalog {
            db,
            genres,
            cache: CatalogCache {
                details: GuardedCache::new(cache_capacity, ttl),
                pages: GuardedCache::new(cache_capacity, ttl),
            },
        }
    }

    /// The genre vocabulary.
    pub fn genres(&self) -> &Arc<GenreCatalog> {
        &self.genres
    }

    /// The database handle (for services built on the catalogue).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Hit and miss counts of the details and the page cache, by metric label.
    pub fn cache_counts(&self) -> [(&'static str, CacheCounts); 2] {
        [
            ("movie_details", self.cache.details.counts()),
            ("movie_pages", self.cache.pages.counts()),
        ]
    }

    /// A page of movies, from the page cache when possible.
    pub async fn list_movies(
        &self,
        filter: &MovieFilter,
        page: PageRequest,
    ) -> Result<Arc<Page<MovieSummary>>, DbErr> {
        let key = format!("{filter:?}|{page:?}");
        let loaded = self
            .cache
            .pages
            .get_or_load(&key, || async {
                list_movies(&self.db, &self.genres, filter, page)
                    .await
                    .map(Some)
            })
            .await?;
        // `get_or_load` only yields `None` when the loader does, and this one never does.
        Ok(loaded.unwrap_or_else(|| Arc::new(Page::new(Vec::new(), page, 0))))
    }

    /// One movie's details, from the cache when possible.
    pub async fn movie(&self, id: i32) -> Result<Arc<MovieDetails>, CatalogError> {
        self.cache
            .details
            .get_or_load(&id, || find_movie(&self.db, &self.genres, id))
            .await?
            .ok_or(CatalogError::NotFound)
    }

    /// Details of several movies by id, from the cache where possible;
    /// missing ids are absent from the map.
    pub async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Arc<MovieDetails>>, DbErr> {
        let cache = &self.cache.details;
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match cache.get(&id).await {
                Some(details) => {
                    found.insert(id, details);
                }
                None => missing.push(id),
            }
        }
        if !missing.is_empty() {
            let epoch = cache.epoch();
            for details in find_movies(&self.db, &self.genres, &missing).await? {
                let details = Arc::new(details);
                cache
                    .insert_if_unchanged(details.id, details.clone(), epoch)
                    .await;
                found.insert(details.id, details);
            }
        }
        Ok(found)
    }

    /// Every genre with its movie count.
    pub async fn genre_counts(&self) -> Result<Vec<GenreCount>, DbErr> {
        list_genres(&self.db, &self.genres).await
    }

    /// Adds a movie (admin); list pages are dropped, as it may be on any.
    pub async fn create_movie(&self, input: NewMovie) -> Result<MovieDetails, CatalogError> {
        let created = create_movie(&self.db, &self.genres, input).await;
        if let Ok(movie) = &created {
            self.movies_changed([movie.id]).await;
        }
        created
    }

    /// Changes some of a movie's fields (admin).
    pub async fn update_movie(
        &self,
        id: i32,
        patch: MoviePatch,
    ) -> Result<MovieDetails, CatalogError> {
        let updated = update_movie(&self.db, &self.genres, id, patch).await;
        // A failed write changed nothing, except when it failed after the
        // commit (re-reading the movie): invalidate then too.
        if !matches!(
            updated,
            Err(CatalogError::Invalid(_) | CatalogError::NotFound)
        ) {
            self.movies_changed([id]).await;
        }
        updated
    }

    /// Removes a movie with its ratings, genres and list entries (admin).
    pub async fn delete_movie(&self, id: i32) -> Result<(), CatalogError> {
        delete_movie(&self.db, id).await?;
        self.movies_changed([id]).await;
        Ok(())
    }

    /// Call after a committed write that changed these movies or their
    /// ratings or stock: drops their details and every list page.
    pub async fn movies_changed(&self, ids: impl IntoIterator<Item = i32>) {
        for id in ids {
            self.cache.details.invalidate(&id).await;
        }
        self.cache.pages.invalidate_all();
    }

    /// Call after a committed bulk write (an import): drops everything.
    pub fn everything_changed(&self) {
        self.cache.details.invalidate_all();
        self.cache.pages.invalidate_all();
    }
}

impl From<&MovieDetails> for MovieSummary {
    fn from(details: &MovieDetails) -> Self {
        MovieSummary {
            id: details.id,
            title: details.title.clone(),
            year: details.year,
            genres: details.genres.clone(),
            poster_url: details.poster_url.clone(),
            avg_rating: details.avg_rating,
            rating_count: details.rating_count,
            price: details.price,
            stock: details.stock,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_treat_metacharacters_as_text() {
        assert_eq!(like_contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_contains_pattern("' OR 1=1 --"), "%' OR 1=1 --%");
    }

    #[test]
    fn genre_names_resolve_regardless_of_case() {
        let genres =
            GenreCatalog::from_pairs([(1, "Action".into()), (2, "Science Fiction".into())]);
        assert_eq!(genres.resolve(" science fiction "), Some(2));
        assert_eq!(genres.resolve("ACTION"), Some(1));
        assert_eq!(genres.resolve("Acton"), None);
        assert_eq!(genres.name(2), Some("Science Fiction"));
    }
}

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

/// `POST /movies` body (admin).
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
}

/// `PATCH /movies/{id}` body (admin): absent fields stay, `null` clears.
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
        if chars == 0 || chars > MAX_TITLE_CHARS {
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
                || u.chars().any(char::is_whitespace))
        {
            self.problem(
                "poster_url",
                "must be an http(s) URL of at most 2048 characters",
            );
        }
        url
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

/// Replaces a movie's genres.
pub(crate) async fn set_movie_genres(
    db: &impl ConnectionTrait,
    movie_id: i32,
    genre_ids: &[i32],
) -> Result<(), DbErr> {
    movie_genre::Entity::delete_many()
        .filter(movie_genre::Column::MovieId.eq(movie_id))
        .exec(db)
        .await?;
    let rows: Vec<movie_genre::ActiveModel> = genre_ids
        .iter()
        .map(|&genre_id| movie_genre::ActiveModel {
            movie_id: Set(movie_id),
            genre_id: Set(genre_id),
        })
        .collect();
    if !rows.is_empty() {
        movie_genre::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Adds a movie to the catalogue (admin).
async fn create_movie(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    input: NewMovie,
) -> Result<MovieDetails, CatalogError> {
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
    fields.finish()?;
    let now = Utc::now();
    let txn = db.begin().await?;
    let created = movie::ActiveModel {
        title_search: Set(title_search_key(&title)),
        title: Set(title),
        year: Set(year),
        overview: Set(overview),
        poster_url: Set(poster_url),
        imdb_id: Set(imdb_id),
        tmdb_id: Set(tmdb_id),
        movielens_id: Set(None),
        price: Set(price),
        stock: Set(stock),
        rating_count: Set(0),
        rating_sum: Set(0),
        avg_rating: Set(0.0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(conflict_on_external_id)?;
    set_movie_genres(&txn, created.id, &genre_ids).await?;
    txn.commit().await?;
    log::info!("created movie {}", created.id);
    find_movie(db, genres, created.id)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Changes some of a movie's fields (admin); [`Catalog::update_movie`]
/// invalidates after it.
async fn update_movie(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    id: i32,
    patch: MoviePatch,
) -> Result<MovieDetails, CatalogError> {
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

    let txn = super::begin_write(db).await?;
    let existing = movie::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(CatalogError::NotFound)?;
    let mut active: movie::ActiveModel = existing.into();
    if let Some(title) = title {
        active.title_search = Set(title_search_key(&title));
        active.title = Set(title);
    }
    if let Some(year) = year {
        active.year = Set(year);
    }
    if let Some(overview) = overview {
        active.overview = Set(overview);
    }
    if let Some(url) = poster_url {
        active.poster_url = Set(url);
    }
    if let Some(imdb) = imdb_id {
        active.imdb_id = Set(imdb);
    }
    if let Some(tmdb) = tmdb_id {
        active.tmdb_id = Set(tmdb);
    }
    // Under the row lock, so an order placed meanwhile either sees the old
    // stock and commits first or waits and decrements the new one.
    if let Some(price) = price {
        active.price = Set(price);
    }
    if let Some(stock) = stock {
        active.stock = Set(stock);
    }
    active.updated_at = Set(Utc::now());
    active.update(&txn).await.map_err(conflict_on_external_id)?;
    if let Some(ids) = genre_ids {
        set_movie_genres(&txn, id, &ids).await?;
    }
    txn.commit().await?;
    find_movie(db, genres, id)
        .await?
        .ok_or(CatalogError::NotFound)
}

/// Removes a movie with its ratings, genres and list entries (admin).
async fn delete_movie(db: &DatabaseConnection, id: i32) -> Result<(), CatalogError> {
    let result = movie::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(CatalogError::NotFound);
    }
    log::info!("deleted movie {id}");
    Ok(())
}
