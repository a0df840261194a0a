//! A user's watchlist and "not interested" list. Both are idempotent sets of
//! movies: adding twice or removing an absent movie succeeds.

use chrono::{DateTime, Utc};
use entity::{dismissal, movie, watchlist_item};
use migration::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::catalog::{GenreCatalog, Movie, movies_in_order};
use super::changes::{self, Caches, Change};
use super::{Page, PageRequest, begin_write, page_of};

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

    /// One page of a user's list, most recently added first (for the
    /// "not interested" list, most recently dismissed: the web page lists
    /// them so each can be undone).
    pub async fn entries(
        &self,
        list: MovieList,
        user_id: i32,
        page: PageRequest,
    ) -> Result<Page<WatchlistEntry>, ListError> {
        let (db, genres) = (&self.db, self.genres.as_ref());
        match list {
            MovieList::Watchlist => {
                entries::<watchlist_item::Entity>(db, genres, user_id, page).await
            }
            MovieList::NotInterested => {
                entries::<dismissal::Entity>(db, genres, user_id, page).await
            }
        }
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

/// A table of one list: the two lists are tables of the same shape.
trait ListTable: EntityTrait<Model: Sync> {
    /// The user, the movie and when it was added.
    const COLUMNS: [Self::Column; 3];
}

impl ListTable for watchlist_item::Entity {
    const COLUMNS: [Self::Column; 3] = {
        use watchlist_item::Column;
        [Column::UserId, Column::MovieId, Column::CreatedAt]
    };
}

impl ListTable for dismissal::Entity {
    const COLUMNS: [Self::Column; 3] = {
        use dismissal::Column;
        [Column::UserId, Column::MovieId, Column::CreatedAt]
    };
}

/// One page of a user's entries in a list table, most recently added
/// first, with their movies (an entry whose movie is gone is left out).
async fn entries<E: ListTable>(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
    page: PageRequest,
) -> Result<Page<WatchlistEntry>, ListError> {
    let [user, movie, added] = E::COLUMNS;
    let newest_first = E::find()
        .filter(user.eq(user_id))
        .order_by_desc(added)
        .order_by_desc(movie);
    let (select, total) = page_of(db, newest_first, page).await?;
    let rows: Vec<(i32, DateTime<Utc>)> = select
        .select_only()
        .columns([movie, added])
        .into_tuple()
        .all(db)
        .await?;
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
