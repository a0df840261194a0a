//! Answering requests from the serving snapshot: ranking (off the async
//! threads), the list cache, and hydrating ranked ids with current movie
//! data from the catalogue.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use entity::movie;
use sea_orm::EntityTrait;

use super::data::content_of;
use super::*;
use crate::recommender::content::{ContentReason, blend_similar};
use crate::recommender::{Reason, RecRequest, Recommendation, Strategy, UserContext};

use crate::services::ids::{self, IdOutOfRange};

impl Recommender {
    /// `/admin/model`.
    pub fn info(&self) -> Result<ModelInfo, RecommendationError> {
        let snapshot = self.current().ok_or(RecommendationError::NotReady)?;
        let stats = snapshot.model.stats();
        Ok(ModelInfo {
            version: snapshot.version.clone(),
            trained_at: snapshot.trained_at,
            training_ms: snapshot.training_ms,
            users: stats.users,
            movies: stats.movies,
            ratings: snapshot.ratings,
            algorithms: stats
                .timings
                .iter()
                .map(|t| AlgorithmInfo {
                    name: t.source.to_owned(),
                    training_ms: (t.seconds * 1e4).round() / 10.0,
                })
                .collect(),
            metrics: snapshot.metrics.clone(),
            training_in_progress: self.training.load(Ordering::Acquire),
            writes_since_training: self.writes_since_training.load(Ordering::Relaxed),
        })
    }

    /// A user's recommendations, with their current state folded in.
    pub async fn for_user(
        &self,
        user_id: i32,
        request: ListRequest,
    ) -> Result<RecommendationList, RecommendationError> {
        let snapshot = self.current().ok_or(RecommendationError::NotReady)?;
        let key = ListKey {
            user_id: Some(user_id),
            generation: self.generation(user_id),
            strategy: request.strategy,
            limit: request.limit,
            genre: request.genre,
            exclude: request.exclude.clone(),
        };
        let ranked = match self.lists.get(&key).await {
            Some(hit) => hit,
            None => {
                let epoch = self.lists.epoch();
                let ctx = user_context(&self.db, user_id, &request.exclude).await?;
                let ranked = Arc::new(rank(snapshot, ctx, &request).await?);
                self.lists
                    .insert_if_unchanged(key, ranked.clone(), epoch)
                    .await;
                ranked
            }
        };
        let hydrated = self.hydrate_list(&ranked, request.limit).await?;
        Ok(RecommendationList {
            user_id: Some(user_id),
            strategy: request.strategy.name(),
            model_version: ranked.model_version.clone(),
            items: hydrated.items,
            rendered: hydrated.rendered,
        })
    }

    /// The non-personalised chart.
    pub async fn popular(
        &self,
        limit: usize,
        genre: Option<i32>,
    ) -> Result<RecommendationList, RecommendationError> {
        let snapshot = self.current().ok_or(RecommendationError::NotReady)?;
        let request = ListRequest {
            strategy: Strategy::Popular,
            limit,
            genre,
            exclude: Vec::new(),
        };
        let key = ListKey {
            user_id: None,
            generation: 0,
            strategy: Strategy::Popular,
            limit,
            genre,
            exclude: Vec::new(),
        };
        let epoch = self.lists.epoch();
        let ranked = match self.lists.get(&key).await {
            Some(hit) => hit,
            None => {
                let ranked = Arc::new(rank(snapshot, UserContext::default(), &request).await?);
                self.lists
                    .insert_if_unchanged(key, ranked.clone(), epoch)
                    .await;
                ranked
            }
        };
        let hydrated = self.hydrate_list(&ranked, limit).await?;
        Ok(RecommendationList {
            user_id: None,
            strategy: Strategy::Popular.name(),
            model_version: ranked.model_version.clone(),
            items: hydrated.items,
            rendered: hydrated.rendered,
        })
    }

    /// Movies most similar to `movie_id`: the item neighbours blended with
    /// the content neighbours by how much rating evidence the movie has, so
    /// a new movie is placed by what it is and a much-rated one by who
    /// watched it ([`blend_similar`]).
    pub async fn similar(
        &self,
        movie_id: i32,
        limit: usize,
    ) -> Result<SimilarList, RecommendationError> {
        let details = self
            .catalog
            .movie(movie_id)
            .await
            .map_err(|err| match err {
                crate::services::catalog::CatalogError::Db(db) => RecommendationError::Db(db),
                _ => RecommendationError::MovieNotFound,
            })?;
        let genres = self.catalog.genres();
        let snapshot = self.current().ok_or(RecommendationError::NotReady)?;
        let model_id = ids::movie_to_model(movie_id);
        // Twice the list from each side, so the blend has room to choose.
        let collaborative = snapshot.model.similar(model_id, 2 * limit);
        let content = snapshot
            .content
            .similar(&content_of(&details, genres)?, 2 * limit);
        let ratings = u32::try_from(details.row.rating_count).unwrap_or(0);
        let blended = blend_similar(&collaborative, &content, ratings, limit);
        let scored = blended
            .into_iter()
            .map(|m| {
                let reason = match m.reason {
                    None => SimilarReason::RatedTogether,
                    Some(ContentReason::SameSeries) => SimilarReason::SameSeries,
                    Some(ContentReason::SameDirector(name)) => SimilarReason::SameDirector { name },
                    Some(ContentReason::SharedCast(name)) => SimilarReason::SharedCast { name },
                    Some(ContentReason::SameGenre(genre)) => SimilarReason::SameGenre {
                        genre: (genres.name(ids::genre_from_model(genre)?))
                            .unwrap_or_default()
                            .to_owned(),
                    },
                };
                Ok((ids::movie_from_model(m.id)?, m.score, reason))
            })
            .collect::<Result<Vec<_>, IdOutOfRange>>()?;
        let movie_ids: Vec<i32> = scored.iter().map(|(id, _, _)| *id).collect();
        let found = self.catalog.movies(&movie_ids).await?;
        let items = scored
            .into_iter()
            .filter_map(|(id, score, reason)| {
                // Movies deleted since training are skipped.
                let details = found.get(&id)?;
                Some(SimilarItem {
                    movie: details.clone(),
                    score: round(score, 4),
                    reason,
                })
            })
            .collect();
        Ok(SimilarList { items })
    }

    /// The user's predicted rating of a movie.
    pub async fn predict(
        &self,
        user_id: i32,
        movie_id: i32,
    ) -> Result<Prediction, RecommendationError> {
        let db = &self.db;
        movie::Entity::find_by_id(movie_id)
            .one(db)
            .await?
            .ok_or(RecommendationError::MovieNotFound)?;
        let snapshot = self.current().ok_or(RecommendationError::NotReady)?;
        let ctx = user_context(db, user_id, &[]).await?;
        let predicted = snapshot.model.predict(&ctx, ids::movie_to_model(movie_id));
        Ok(Prediction {
            user_id,
            movie_id,
            predicted_rating: round(predicted, 2),
        })
    }

    /// A cached list's items with current movie data: the copy hydrated
    /// earlier while no movie changed since (the catalogue's details epoch
    /// is unchanged), else hydrated afresh and kept, with a fresh slot for
    /// its rendered form. The epoch is read before hydrating, so a movie
    /// invalidated meanwhile makes the kept copy stale at once.
    async fn hydrate_list(
        &self,
        ranked: &RankedList,
        limit: usize,
    ) -> Result<Hydrated, RecommendationError> {
        let epoch = self.catalog.details_epoch();
        let kept = ranked
            .hydrated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(kept) = kept
            && kept.epoch == epoch
        {
            return Ok(kept);
        }
        let fresh = Hydrated {
            epoch,
            items: Arc::new(self.hydrate(&ranked.items, limit).await?),
            rendered: Arc::default(),
        };
        *ranked.hydrated.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }

    /// Turns ranked ids into items with current movie data and reason titles.
    async fn hydrate(
        &self,
        ranked: &[Recommendation],
        limit: usize,
    ) -> Result<Vec<RecommendationItem>, RecommendationError> {
        let genres = self.catalog.genres();
        let mut movie_ids: Vec<i32> = Vec::new();
        for rec in ranked {
            movie_ids.push(ids::movie_from_model(rec.movie_id)?);
            for reason in &rec.reasons {
                if let Reason::SimilarTo { movie_id } = reason {
                    movie_ids.push(ids::movie_from_model(*movie_id)?);
                }
            }
        }
        movie_ids.sort_unstable();
        movie_ids.dedup();
        let found = self.catalog.movies(&movie_ids).await?;
        let mut items = Vec::with_capacity(limit);
        for rec in ranked {
            if items.len() == limit {
                break;
            }
            // A movie deleted since training is skipped (the model ranks a few extra).
            let Some(details) = found.get(&ids::movie_from_model(rec.movie_id)?) else {
                continue;
            };
            let mut reasons = Vec::with_capacity(rec.reasons.len());
            for reason in &rec.reasons {
                match reason {
                    Reason::SimilarTo { movie_id } => {
                        if let Some(m) = found.get(&ids::movie_from_model(*movie_id)?) {
                            reasons.push(ReasonView::SimilarTo {
                                movie_id: m.id(),
                                title: m.row.title.clone(),
                            });
                        }
                    }
                    Reason::Genre { genre_id } => {
                        if let Some(name) = genres.name(ids::genre_from_model(*genre_id)?) {
                            reasons.push(ReasonView::Genre {
                                genre: name.to_owned(),
                            });
                        }
                    }
                    Reason::Popular => reasons.push(ReasonView::Popular),
                }
            }
            items.push(RecommendationItem {
                movie: details.clone(),
                score: round(rec.score, 4),
                predicted_rating: rec.predicted_rating.map(|p| round(p, 2)),
                reasons,
            });
        }
        Ok(items)
    }
}

async fn rank(
    snapshot: Arc<ModelSnapshot>,
    ctx: UserContext,
    request: &ListRequest,
) -> Result<RankedList, RecommendationError> {
    // Ask for a few extra: movies deleted since training are skipped later.
    let rec_request = RecRequest {
        strategy: request.strategy,
        limit: request.limit + 10,
        genre: request.genre.map(ids::genre_to_model).transpose()?,
    };
    // Ranking is CPU work (milliseconds on large catalogues): off the async threads.
    let model_version = snapshot.version.clone();
    let items =
        tokio::task::spawn_blocking(move || snapshot.model.recommend(&ctx, &rec_request)).await?;
    Ok(RankedList {
        model_version,
        items,
        hydrated: std::sync::Mutex::new(None),
    })
}
