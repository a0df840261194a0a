//! A user's watchlist and "not interested" list. Both are idempotent sets of
//! movies: adding twice or removing an absent movie succeeds.

use chrono::{DateTime, Utc};
use entity::{dismissal, movie, watchlist_item};
use migration::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::catalog::{GenreCatalog, Movie, movies_in_order};
use super::changes::{self, Caches, Change};
use super::{Page, PageRequest, begin_write};

/// Why a list operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// No such movie.
    #[error("movie not found")]
    MovieNotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A watchlist entry.
#[derive(Clone, Debug)]
pub struct WatchlistEntry {
    /// The movie.
    pub movie: Movie,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

/// The watchlist and "not interested" service. Dismissals change what is
/// recommended, so writes to that list record the user's change in their
/// transaction and drop the user's recommendations after they commit. The
/// watchlist is never cached, and recommendations do not read it.
pub struct Lists {
    db: DatabaseConnection,
    genres: Arc<GenreCatalog>,
    caches: Arc<Caches>,
}

impl Lists {
    /// The service.
    pub fn new(caches: Arc<Caches>) -> Self {
        Lists {
            db: caches.catalog().db().clone(),
            genres: Arc::clone(caches.catalog().genres()),
            caches,
        }
    }

    /// Adds a movie to a list (no-op when present), or removes it (no-op
    /// when absent); adding an unknown movie is `MovieNotFound`.
    pub async fn set(
        &self,
        list: MovieList,
        user_id: i32,
        movie_id: i32,
        member: bool,
    ) -> Result<(), ListError> {
        let txn = begin_write(&self.db).await?;
        if member {
            add(&txn, list, user_id, movie_id).await?;
        } else {
            remove(&txn, list, user_id, movie_id).await?;
        }
        let changes = match list {
            MovieList::NotInterested => vec![Change::User(user_id)],
            MovieList::Watchlist => Vec::new(),
        };
        changes::record(&txn, &changes).await?;
        txn.commit().await?;
        self.caches.committed(&changes).await;
        Ok(())
    }

    /// A user's watchlist, most recently added first.
    pub async fn watchlist(
        &self,
        user_id: i32,
        page: PageRequest,
    ) -> Result<Page<WatchlistEntry>, ListError> {
        watchlist(&self.db, &self.genres, user_id, page).await
    }

    /// A user's "not interested" movies, most recently dismissed first (the
    /// web page lists them so each can be undone).
    pub async fn not_interested(
        &self,
        user_id: i32,
        page: PageRequest,
    ) -> Result<Page<WatchlistEntry>, ListError> {
        dismissals(&self.db, &self.genres, user_id, page).await
    }
}

async fn ensure_movie(db: &impl ConnectionTrait, movie_id: i32) -> Result<(), ListError> {
    movie::Entity::find_by_id(movie_id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or(ListError::MovieNotFound)
}

/// Which list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovieList {
    /// Movies to watch.
    Watchlist,
    /// Movies never to recommend.
    NotInterested,
}

/// Adds a movie to a list (no-op when present); 404 for an unknown movie.
async fn add(
    db: &impl ConnectionTrait,
    list: MovieList,
    user_id: i32,
    movie_id: i32,
) -> Result<(), ListError> {
    ensure_movie(db, movie_id).await?;
    let now = Utc::now();
    // ON CONFLICT DO NOTHING keeps concurrent duplicate adds harmless.
    match list {
        MovieList::Watchlist => {
            watchlist_item::Entity::insert(watchlist_item::ActiveModel {
                user_id: Set(user_id),
                movie_id: Set(movie_id),
                created_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    watchlist_item::Column::UserId,
                    watchlist_item::Column::MovieId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
        MovieList::NotInterested => {
            dismissal::Entity::insert(dismissal::ActiveModel {
                user_id: Set(user_id),
                movie_id: Set(movie_id),
                created_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([dismissal::Column::UserId, dismissal::Column::MovieId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// Removes a movie from a list (no-op when absent).
async fn remove(
    db: &impl ConnectionTrait,
    list: MovieList,
    user_id: i32,
    movie_id: i32,
) -> Result<(), ListError> {
    match list {
        MovieList::Watchlist => {
            watchlist_item::Entity::delete_by_id((user_id, movie_id))
                .exec(db)
                .await?;
        }
        MovieList::NotInterested => {
            dismissal::Entity::delete_by_id((user_id, movie_id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// A user's watchlist, most recently added first.
async fn watchlist(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
    page: PageRequest,
) -> Result<Page<WatchlistEntry>, ListError> {
    let select = watchlist_item::Entity::find().filter(watchlist_item::Column::UserId.eq(user_id));
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(watchlist_item::Column::CreatedAt)
        .order_by_desc(watchlist_item::Column::MovieId)
        .limit(page.per_page)
        .offset(page.offset())
        .all(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| (r.movie_id, r.created_at))
        .collect();
    entries_page(db, genres, rows, page, total).await
}

/// A user's dismissed movies, most recent first (same shape as the watchlist).
async fn dismissals(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
    page: PageRequest,
) -> Result<Page<WatchlistEntry>, ListError> {
    let select = dismissal::Entity::find().filter(dismissal::Column::UserId.eq(user_id));
    let total = select.clone().count(db).await?;
    let rows = select
        .order_by_desc(dismissal::Column::CreatedAt)
        .order_by_desc(dismissal::Column::MovieId)
        .limit(page.per_page)
        .offset(page.offset())
        .all(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| (r.movie_id, r.created_at))
        .collect();
    entries_page(db, genres, rows, page, total).await
}

/// One page of list entries, `(movie id, added at)` in order, with their
/// movies (an entry whose movie is gone is left out).
async fn entries_page(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    rows: Vec<(i32, DateTime<Utc>)>,
    page: PageRequest,
    total: u64,
) -> Result<Page<WatchlistEntry>, ListError> {
    let movies = movies_in_order(db, genres, rows.iter().map(|r| r.0)).await?;
    let items = rows
        .into_iter()
        .zip(movies)
        .filter_map(|((_, added_at), movie)| {
            Some(WatchlistEntry {
                movie: movie?,
                added_at,
            })
        })
        .collect();
    Ok(Page::new(items, page, total))
}
