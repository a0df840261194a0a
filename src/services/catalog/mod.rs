//! The movie catalogue: the [`Catalog`] service (movie details and list
//! pages behind invalidation-safe caches, admin writes that invalidate after
//! they commit) over the genre vocabulary ([`genres`]), the listing and
//! lookup queries ([`query`]) and the validated admin writes ([`write`]).

pub mod credits;
pub mod genres;
pub mod query;
pub mod search;
pub mod search_db;
pub mod write;

#[cfg(test)]
mod tests;

pub use credits::{Credit, PersonFilmography, add_credits, credits_of, find_person};
pub use genres::GenreCatalog;
pub use query::{
    GenreCount, Movie, MovieFilter, MovieSort, display_average, find_movie, find_movies, genres_of,
    list_genres, list_movies, movies_in_order, title_search_key, with_genres,
};
pub use search_db::Suggestion;
pub use write::{
    MAX_OVERVIEW_CHARS, MAX_PRICE, MAX_STOCK, MAX_TITLE_CHARS, MAX_URL_CHARS, MoviePatch, NewMovie,
    set_movie_genres, unrated_movie,
};

use write::{create_movie, delete_movie, update_movie};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbErr};

use crate::cache::{CacheCounts, GuardedCache};
use crate::services::validation::Invalid;
use crate::services::{Page, PageRequest};

/// Why a catalogue write failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A field breaks its rules.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such movie.
    #[error("movie not found")]
    NotFound,
    /// No such person.
    #[error("person not found")]
    PersonNotFound,
    /// Another movie has this IMDb or TMDB id.
    #[error("another movie already has this imdb_id or tmdb_id")]
    DuplicateExternalId,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The catalogue's caches: movie details by id and list pages by query.
/// List pages are dropped on any movie write because aggregates move
/// movies between pages.
struct CatalogCache {
    details: GuardedCache<i32, Movie>,
    pages: GuardedCache<String, Page<Movie>>,
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

    /// A number that changes whenever any cached movie may have changed:
    /// what was built from movie details under one value is still current
    /// while it holds.
    pub fn details_epoch(&self) -> u64 {
        self.cache.details.epoch()
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
    ) -> Result<Arc<Page<Movie>>, DbErr> {
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

    /// The best few movies and people matching `q`, for a type-ahead box
    /// (not cached: every keystroke is a new query).
    pub async fn suggest(&self, q: &str, limit: u64) -> Result<Vec<Suggestion>, DbErr> {
        search_db::suggestions(&self.db, &self.genres, q, limit).await
    }

    /// A person and their movies.
    pub async fn person(&self, id: i32) -> Result<PersonFilmography, CatalogError> {
        find_person(&self.db, &self.genres, id)
            .await?
            .ok_or(CatalogError::PersonNotFound)
    }

    /// One movie's details, from the cache when possible.
    pub async fn movie(&self, id: i32) -> Result<Arc<Movie>, CatalogError> {
        self.cache
            .details
            .get_or_load(&id, || find_movie(&self.db, &self.genres, id))
            .await?
            .ok_or(CatalogError::NotFound)
    }

    /// Details of several movies by id, from the cache where possible;
    /// missing ids are absent from the map.
    pub async fn movies(&self, ids: &[i32]) -> Result<HashMap<i32, Arc<Movie>>, DbErr> {
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
                    .insert_if_unchanged(details.id(), details.clone(), epoch)
                    .await;
                found.insert(details.id(), details);
            }
        }
        Ok(found)
    }

    /// Every genre with its movie count.
    pub async fn genre_counts(&self) -> Result<Vec<GenreCount>, DbErr> {
        list_genres(&self.db, &self.genres).await
    }

    /// Adds a movie (admin); list pages are dropped, as it may be on any.
    pub async fn create_movie(&self, input: NewMovie) -> Result<Movie, CatalogError> {
        let created = create_movie(&self.db, &self.genres, input).await;
        if let Ok(movie) = &created {
            self.movies_changed([movie.id()]).await;
        }
        created
    }

    /// Changes some of a movie's fields (admin).
    pub async fn update_movie(&self, id: i32, patch: MoviePatch) -> Result<Movie, CatalogError> {
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
        // Its raters' cached accounts (their rating counts) are dropped when
        // the change feed delivers the deletion, here as on every instance.
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
