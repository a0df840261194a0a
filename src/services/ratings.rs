//! Ratings: one per user and movie, in half stars. Every write adjusts the
//! movie's count, sum and mean in the same transaction, so the aggregates stay
//! exact under concurrent writers.

use chrono::{DateTime, Utc};
use entity::{movie, rating};
use migration::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use std::sync::Arc;

use super::catalog::{GenreCatalog, Movie};
use super::changes::{self, Caches, Change};
use super::validation::Invalid;
use super::{Page, PageRequest, begin_write, page_of};
use crate::dataset::HalfStars;

/// Why a rating operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RatingError {
    /// The value is not 0.5–5.0 in half steps.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such movie.
    #[error("movie not found")]
    MovieNotFound,
    /// The user has not rated this movie.
    #[error("rating not found")]
    RatingNotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A rating as given, before it is checked.
pub struct RatingRequest {
    /// 0.5–5.0 in steps of 0.5.
    pub rating: f64,
}

/// A stored rating.
#[derive(Clone, Debug)]
pub struct RatingView {
    /// The movie.
    pub movie_id: i32,
    /// 0.5–5.0.
    pub rating: f64,
    /// When it was given or last changed.
    pub rated_at: DateTime<Utc>,
}

/// One of a user's ratings with the movie.
#[derive(Clone, Debug)]
pub struct RatedMovie {
    /// The movie.
    pub movie: Movie,
    /// 0.5–5.0.
    pub rating: f64,
    /// When it was given or last changed.
    pub rated_at: DateTime<Utc>,
}

/// The ratings service. A rating changes its movie's aggregates (so the
/// catalogue's cached copies) and its user's recommendations and profile:
/// every write records that in its transaction and drops them after it
/// commits.
pub struct Ratings {
    db: DatabaseConnection,
    caches: Arc<Caches>,
}

impl Ratings {
    /// The service over the catalogue's database.
    pub fn new(caches: Arc<Caches>) -> Self {
        Ratings {
            db: caches.catalog().db().clone(),
            caches,
        }
    }

    /// Sets the user's rating of a movie.
    pub async fn put(
        &self,
        user_id: i32,
        movie_id: i32,
        rating: f64,
    ) -> Result<(RatingView, Upsert), RatingError> {
        let stored = put_rating(&self.db, user_id, movie_id, rating).await?;
        self.caches
            .committed(&rating_changes(user_id, movie_id))
            .await;
        Ok(stored)
    }

    /// Removes the user's rating of a movie; `RatingNotFound` when there was none.
    pub async fn delete(&self, user_id: i32, movie_id: i32) -> Result<(), RatingError> {
        delete_rating(&self.db, user_id, movie_id).await?;
        self.caches
            .committed(&rating_changes(user_id, movie_id))
            .await;
        Ok(())
    }

    /// The user's rating of one movie, if any.
    pub async fn rating_of(&self, user_id: i32, movie_id: i32) -> Result<Option<f64>, DbErr> {
        rating_of(&self.db, user_id, movie_id).await
    }

    /// A user's ratings, most recently changed first.
    pub async fn list(
        &self,
        user_id: i32,
        page: PageRequest,
    ) -> Result<Page<RatedMovie>, RatingError> {
        list_ratings(&self.db, self.caches.catalog().genres(), user_id, page).await
    }

    /// Every rating counted per half star.
    pub async fn distribution(&self) -> Result<RatingDistribution, DbErr> {
        distribution(&self.db).await
    }
}

/// Half stars from a rating, if it is 0.5–5.0 in steps of 0.5.
pub fn half_stars(rating: f64) -> Option<i16> {
    HalfStars::from_stars(rating).map(HalfStars::get)
}

/// Stars from half stars.
pub fn stars(half_stars: i16) -> f64 {
    f64::from(half_stars) / 2.0
}

/// Adds `count_delta` ratings worth `sum_delta` half stars to a movie's
/// aggregates and recomputes its mean, in one statement.
pub async fn apply_rating_delta(
    db: &impl ConnectionTrait,
    movie_id: i32,
    count_delta: i32,
    sum_delta: i64,
) -> Result<(), DbErr> {
    let new_count = Expr::col(movie::Column::RatingCount).add(count_delta);
    let new_sum = Expr::col(movie::Column::RatingSum).add(sum_delta);
    let mean = Expr::case(
        new_count.clone().gt(0),
        new_sum.clone().mul(1.0).div(new_count.clone().mul(2.0)),
    )
    .finally(0.0);
    let statement = Query::update()
        .table(movie::Entity)
        .value(movie::Column::RatingCount, new_count)
        .value(movie::Column::RatingSum, new_sum)
        .value(movie::Column::AvgRating, mean)
        .and_where(Expr::col(movie::Column::Id).eq(movie_id))
        .to_owned();
    db.execute(&statement).await?;
    Ok(())
}

/// Whether a rating was created or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upsert {
    /// There was none before.
    Created,
    /// An existing rating was replaced.
    Updated,
}

/// Opens a write transaction, locks the movie's row and reads the user's
/// current rating of it. Writers to one movie's aggregates queue on the
/// lock, so each reads the rating it replaces after the previous writer
/// committed.
async fn lock_movie_and_rating(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
) -> Result<(DatabaseTransaction, Option<rating::Model>), RatingError> {
    let txn = begin_write(db).await?;
    movie::Entity::find_by_id(movie_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(RatingError::MovieNotFound)?;
    let existing = rating::Entity::find_by_id((user_id, movie_id))
        .one(&txn)
        .await?;
    Ok((txn, existing))
}

/// Sets the user's rating of a movie (without invalidating: see [`Ratings::put`]).
async fn put_rating(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
    rating: f64,
) -> Result<(RatingView, Upsert), RatingError> {
    let half = half_stars(rating)
        .ok_or_else(|| Invalid::field("rating", "must be between 0.5 and 5.0 in steps of 0.5"))?;
    let now = Utc::now();
    let (txn, existing) = lock_movie_and_rating(db, user_id, movie_id).await?;
    let outcome = match existing {
        None => {
            rating::ActiveModel {
                user_id: Set(user_id),
                movie_id: Set(movie_id),
                half_stars: Set(half),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            apply_rating_delta(&txn, movie_id, 1, i64::from(half)).await?;
            Upsert::Created
        }
        Some(old) => {
            let delta = i64::from(half) - i64::from(old.half_stars);
            let mut active: rating::ActiveModel = old.into();
            active.half_stars = Set(half);
            active.updated_at = Set(now);
            active.update(&txn).await?;
            if delta != 0 {
                apply_rating_delta(&txn, movie_id, 0, delta).await?;
            }
            Upsert::Updated
        }
    };
    changes::record(&txn, &rating_changes(user_id, movie_id)).await?;
    txn.commit().await?;
    Ok((
        RatingView {
            movie_id,
            rating: stars(half),
            rated_at: now,
        },
        outcome,
    ))
}

/// Removes the user's rating of a movie (without invalidating: see [`Ratings::delete`]).
async fn delete_rating(
    db: &DatabaseConnection,
    user_id: i32,
    movie_id: i32,
) -> Result<(), RatingError> {
    let (txn, existing) = lock_movie_and_rating(db, user_id, movie_id).await?;
    let existing = existing.ok_or(RatingError::RatingNotFound)?;
    rating::Entity::delete_by_id((user_id, movie_id))
        .exec(&txn)
        .await?;
    apply_rating_delta(&txn, movie_id, -1, -i64::from(existing.half_stars)).await?;
    changes::record(&txn, &rating_changes(user_id, movie_id)).await?;
    txn.commit().await?;
    Ok(())
}

/// What a rating write changes: the movie's aggregates and its user's
/// recommendations and profile (the rating count).
fn rating_changes(user_id: i32, movie_id: i32) -> [Change; 2] {
    [Change::Movies(vec![movie_id]), Change::User(user_id)]
}

/// The user's rating of one movie, if any.
pub async fn rating_of(
    db: &impl ConnectionTrait,
    user_id: i32,
    movie_id: i32,
) -> Result<Option<f64>, DbErr> {
    Ok(rating::Entity::find_by_id((user_id, movie_id))
        .one(db)
        .await?
        .map(|r| stars(r.half_stars)))
}

/// A user's ratings, most recently changed first.
pub async fn list_ratings(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
    page: PageRequest,
) -> Result<Page<RatedMovie>, RatingError> {
    let newest_first = rating::Entity::find()
        .filter(rating::Column::UserId.eq(user_id))
        .order_by_desc(rating::Column::UpdatedAt)
        .order_by_desc(rating::Column::MovieId);
    let (select, total) = page_of(db, newest_first, page).await?;
    let rows = select.all(db).await?;
    let movies =
        super::catalog::movies_in_order(db, genres, rows.iter().map(|r| r.movie_id)).await?;
    let items = rows
        .into_iter()
        .zip(movies)
        .filter_map(|(row, movie)| {
            Some(RatedMovie {
                movie: movie?,
                rating: stars(row.half_stars),
                rated_at: row.updated_at,
            })
        })
        .collect();
    Ok(Page::new(items, page, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_half_steps_from_half_to_five_are_ratings() {
        assert_eq!(half_stars(0.5), Some(1));
        assert_eq!(half_stars(5.0), Some(10));
        assert_eq!(half_stars(3.5), Some(7));
        for bad in [0.0, -0.5, 5.5, 3.3, 4.25, f64::NAN, f64::INFINITY] {
            assert_eq!(half_stars(bad), None, "{bad}");
        }
        assert_eq!(stars(7), 3.5);
    }
}

/// How many ratings have one value.
#[derive(Clone, Debug)]
pub struct RatingBucket {
    /// 0.5–5.0.
    pub rating: f64,
    /// Ratings with exactly this value.
    pub count: i64,
}

/// Every rating in the database counted per half star.
#[derive(Clone, Debug)]
pub struct RatingDistribution {
    /// All ten values from 0.5 to 5.0 in order, zero counts included.
    pub items: Vec<RatingBucket>,
    /// Ratings in total.
    pub total: i64,
}

/// Counts the ratings per value with one `GROUP BY`.
pub async fn distribution(db: &impl ConnectionTrait) -> Result<RatingDistribution, DbErr> {
    let rows: Vec<(i16, i64)> = rating::Entity::find()
        .select_only()
        .column(rating::Column::HalfStars)
        .column_as(rating::Column::UserId.count(), "count")
        .group_by(rating::Column::HalfStars)
        .into_tuple()
        .all(db)
        .await?;
    let items: Vec<RatingBucket> = (1..=10)
        .map(|half| RatingBucket {
            rating: stars(half),
            count: rows
                .iter()
                .filter(|(value, _)| *value == half)
                .map(|(_, count)| count)
                .sum(),
        })
        .collect();
    let total = items.iter().map(|bucket| bucket.count).sum();
    Ok(RatingDistribution { items, total })
}
