//! Reading what the model needs from the database: one user's current
//! state, and everything for training.

use std::collections::HashMap;

use entity::{dismissal, movie, movie_credit, movie_genre, person, rating};
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, StreamTrait,
};

use super::{RecommendationError, TrainingError};
use crate::dataset::{CreditRole, series_of};
use crate::recommender::content::ContentMovie;
use crate::recommender::{MovieMeta, TrainingData, UserContext};
use crate::services::accounts::preferred_genre_ids;
use crate::services::catalog::{GenreCatalog, Movie};
use crate::services::ids::{self, IdOutOfRange};

/// The user's current state, as the model needs it.
pub async fn user_context(
    db: &impl ConnectionTrait,
    user_id: i32,
    exclude: &[i32],
) -> Result<UserContext, RecommendationError> {
    let ratings = rating::Entity::find()
        .select_only()
        .column(rating::Column::MovieId)
        .column(rating::Column::HalfStars)
        .filter(rating::Column::UserId.eq(user_id))
        .into_tuple::<(i32, i16)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(movie, half)| (ids::movie_to_model(movie), f32::from(half) / 2.0))
        .collect();
    let dismissed = dismissal::Entity::find()
        .select_only()
        .column(dismissal::Column::MovieId)
        .filter(dismissal::Column::UserId.eq(user_id))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .map(ids::movie_to_model)
        .collect();
    let preferred_genres = preferred_genre_ids(db, user_id)
        .await?
        .into_iter()
        .map(ids::genre_to_model)
        .collect::<Result<_, _>>()?;
    Ok(UserContext {
        ratings,
        preferred_genres,
        dismissed,
        purchased: crate::services::store::purchased_movies(db, user_id)
            .await?
            .into_iter()
            .map(ids::movie_to_model)
            .collect(),
        excluded: exclude.iter().copied().map(ids::movie_to_model).collect(),
    })
}

/// Every rating (streamed: millions of rows), every movie's genres, and
/// every purchase of a placed order.
pub async fn load_training_data<C>(db: &C) -> Result<TrainingData, TrainingError>
where
    C: ConnectionTrait + StreamTrait,
{
    let mut ratings = Vec::new();
    {
        let mut stream = rating::Entity::find()
            .select_only()
            .column(rating::Column::UserId)
            .column(rating::Column::MovieId)
            .column(rating::Column::HalfStars)
            .into_tuple::<(i32, i32, i16)>()
            .stream(db)
            .await?;
        while let Some((user, movie, half)) = stream.try_next().await? {
            ratings.push((
                ids::user_to_model(user),
                ids::movie_to_model(movie),
                f32::from(half) / 2.0,
            ));
        }
    }
    let mut genres_by_movie: HashMap<i32, Vec<u32>> = HashMap::new();
    for (movie_id, genre_id) in movie_genre::Entity::find()
        .select_only()
        .column(movie_genre::Column::MovieId)
        .column(movie_genre::Column::GenreId)
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
    {
        genres_by_movie
            .entry(movie_id)
            .or_default()
            .push(ids::genre_to_model(genre_id)?);
    }
    let movies = movie::Entity::find()
        .select_only()
        .column(movie::Column::Id)
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .map(|id| MovieMeta {
            id: ids::movie_to_model(id),
            genres: genres_by_movie.remove(&id).unwrap_or_default(),
        })
        .collect();
    let purchases = crate::services::store::all_purchases(db)
        .await?
        .into_iter()
        .map(|(user, movie)| (ids::user_to_model(user), ids::movie_to_model(movie)))
        .collect();
    Ok(TrainingData {
        ratings,
        movies,
        purchases,
        // The trainer adds the content (read by `load_content`, which the index shares).
        content: Vec::new(),
    })
}

/// Top-billed cast members a movie's content profile keeps.
const CONTENT_CAST: i32 = 5;

/// What the content source needs of every movie: title (for its series),
/// year, overview, genres, directors and top-billed cast.
pub async fn load_content(db: &impl ConnectionTrait) -> Result<Vec<ContentMovie>, TrainingError> {
    let rows: Vec<(i32, String, Option<i32>, Option<String>)> = movie::Entity::find()
        .select_only()
        .column(movie::Column::Id)
        .column(movie::Column::Title)
        .column(movie::Column::Year)
        .column(movie::Column::Overview)
        .into_tuple()
        .all(db)
        .await?;
    let mut genres: HashMap<i32, Vec<u32>> = HashMap::new();
    for link in movie_genre::Entity::find().all(db).await? {
        let genre = ids::genre_to_model(link.genre_id)?;
        genres.entry(link.movie_id).or_default().push(genre);
    }
    let names: HashMap<i32, String> = person::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut credits: HashMap<i32, Vec<movie_credit::Model>> = HashMap::new();
    for credit in movie_credit::Entity::find()
        .filter(
            Condition::any()
                .add(movie_credit::Column::Role.eq(CreditRole::Director.name()))
                .add(movie_credit::Column::Position.lte(CONTENT_CAST)),
        )
        .all(db)
        .await?
    {
        credits.entry(credit.movie_id).or_default().push(credit);
    }
    Ok(rows
        .into_iter()
        .map(|(id, title, year, overview)| {
            let mut people = credits.remove(&id).unwrap_or_default();
            people.sort_by_key(|c| c.position);
            let named = |role: CreditRole| -> Vec<String> {
                people
                    .iter()
                    .filter(|c| c.role == role.name())
                    .filter_map(|c| names.get(&c.person_id).cloned())
                    .collect()
            };
            ContentMovie {
                id: ids::movie_to_model(id),
                series: series_of(&title),
                year,
                genres: genres.remove(&id).unwrap_or_default(),
                directors: named(CreditRole::Director),
                cast: named(CreditRole::Cast),
                overview: overview.unwrap_or_default(),
            }
        })
        .collect())
}

/// The content profile of one catalogue movie (as loaded for its page), so
/// a movie added since training finds neighbours too.
pub fn content_of(movie: &Movie, genres: &GenreCatalog) -> Result<ContentMovie, IdOutOfRange> {
    let named = |role: CreditRole| -> Vec<String> {
        (movie.credits.iter())
            .filter(|c| {
                c.role == role && (role == CreditRole::Director || c.position <= CONTENT_CAST)
            })
            .map(|c| c.name.clone())
            .collect()
    };
    Ok(ContentMovie {
        id: ids::movie_to_model(movie.id()),
        series: series_of(&movie.row.title),
        year: movie.row.year,
        genres: (movie.genres.iter())
            .filter_map(|name| genres.resolve(name))
            .map(ids::genre_to_model)
            .collect::<Result<_, _>>()?,
        directors: named(CreditRole::Director),
        cast: named(CreditRole::Cast),
        overview: movie.row.overview.clone().unwrap_or_default(),
    })
}
