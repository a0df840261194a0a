//! Serving recommendations. The trained model is an immutable snapshot
//! swapped atomically (the old one serves until the new one is ready);
//! training runs on the blocking pool, at start-up, on demand and after
//! enough writes. Each request folds the user's *current* ratings,
//! preferences and dismissals in, so a write shows in that user's very next
//! list. Ranked lists are cached per user and invalidated on every write by
//! that user and on every model swap.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::{dismissal, movie, movie_genre, rating};
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, StreamTrait,
};
use tokio::sync::Notify;

use super::accounts::preferred_genre_ids;
use super::catalog::{Catalog, MovieSummary};
use super::ids::{self, IdOutOfRange};
use crate::cache::GuardedCache;
use crate::metrics::{Component, Exposition};
use crate::recommender::{
    Model, MovieMeta, Reason, RecRequest, Recommendation, Strategy, TrainConfig, TrainingData,
    UserContext,
};

/// When and how the model retrains, and the result cache's size.
#[derive(Clone, Debug)]
pub struct RecommenderSettings {
    /// Train as soon as the service starts.
    pub train_on_start: bool,
    /// Retrain after this many rating/feedback writes (0 = never for this reason).
    pub retrain_after_writes: u64,
    /// Retrain when the model is this old (`None` = never for this reason).
    pub retrain_interval: Option<Duration>,
    /// How often to look for ratings written outside this instance.
    pub data_check_interval: Duration,
    /// Cached ranked lists (0 disables the cache).
    pub cache_capacity: u64,
    /// How long a cached list may live at most. Writes through this instance
    /// invalidate at once; the TTL bounds staleness from other instances.
    pub cache_ttl: Duration,
}

/// A trained model and what `/admin/model` reports about it.
pub struct ModelSnapshot {
    /// The model.
    pub model: Model,
    /// `RFC3339#sequence`, unique per process.
    pub version: String,
    /// When training finished.
    pub trained_at: DateTime<Utc>,
    /// Wall-clock training time, data loading included.
    pub training_ms: u64,
    /// Ratings trained on.
    pub ratings: usize,
    /// Movies in the catalogue when the data was read.
    pub catalogue_movies: usize,
    /// In-sample accuracy of the rating model.
    pub metrics: ModelMetrics,
}

/// Offline metrics computed after training.
#[derive(Clone, Debug)]
pub struct ModelMetrics {
    /// RMSE of predicted vs. actual ratings on a sample of the training data.
    pub train_rmse: Option<f64>,
    /// MAE on the same sample.
    pub train_mae: Option<f64>,
    /// Ratings in the sample.
    pub sample_size: usize,
}

/// What a cached list holds: the ranking, not the movie data (hydrated per
/// request from the movie cache, so counts and titles are always current).
struct RankedList {
    model_version: String,
    items: Vec<Recommendation>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ListKey {
    user_id: Option<i32>,
    strategy: Strategy,
    limit: usize,
    genre: Option<i32>,
    exclude: Vec<i32>,
}

/// The recommendation service shared by all workers. It owns the serving
/// model, its trainer and the cache of ranked lists; movie data comes from
/// the [`Catalog`] (and its cache) at request time.
pub struct Recommender {
    db: DatabaseConnection,
    catalog: Arc<Catalog>,
    snapshot: RwLock<Option<Arc<ModelSnapshot>>>,
    lists: GuardedCache<ListKey, RankedList>,
    training: AtomicBool,
    force_training: AtomicBool,
    writes_since_training: AtomicU64,
    sequence: AtomicU64,
    wake: Notify,
    config: TrainConfig,
    settings: RecommenderSettings,
}

/// A validated recommendation request.
#[derive(Clone, Debug)]
pub struct ListRequest {
    /// Source.
    pub strategy: Strategy,
    /// 1–100.
    pub limit: usize,
    /// Only this genre.
    pub genre: Option<i32>,
    /// Never these movies.
    pub exclude: Vec<i32>,
}

/// Why a movie was recommended.
#[derive(Clone, Debug)]
pub enum ReasonView {
    /// Similar to a movie the user rated highly.
    SimilarTo {
        /// The rated movie.
        movie_id: i32,
        /// Its title.
        title: String,
    },
    /// In a genre the user likes.
    Genre {
        /// The genre.
        genre: String,
    },
    /// Rated highly by many users.
    Popular,
}

/// One recommended movie.
#[derive(Clone, Debug)]
pub struct RecommendationItem {
    /// The movie.
    pub movie: MovieSummary,
    /// Ranking score (comparable within one list only).
    pub score: f32,
    /// Predicted rating of this user, 0.5–5.0.
    pub predicted_rating: Option<f32>,
    /// Explanations, most important first.
    pub reasons: Vec<ReasonView>,
}

/// A recommendation list.
#[derive(Clone, Debug)]
pub struct RecommendationList {
    /// Whose list (absent for the non-personalised chart).
    pub user_id: Option<i32>,
    /// `hybrid`, `collaborative`, `genre` or `popular`.
    pub strategy: &'static str,
    /// The model that ranked it.
    pub model_version: String,
    /// Best first.
    pub items: Vec<RecommendationItem>,
}

/// A movie similar to another.
#[derive(Clone, Debug)]
pub struct SimilarItem {
    /// The movie.
    pub movie: MovieSummary,
    /// Similarity (higher is more similar).
    pub score: f32,
}

/// `GET /movies/{id}/similar`.
#[derive(Clone, Debug)]
pub struct SimilarList {
    /// Most similar first.
    pub items: Vec<SimilarItem>,
}

/// `GET /users/{id}/predictions/{movie_id}`.
#[derive(Clone, Debug)]
pub struct Prediction {
    /// The user.
    pub user_id: i32,
    /// The movie.
    pub movie_id: i32,
    /// Predicted rating, 0.5–5.0.
    pub predicted_rating: f32,
}

/// Training time of one source.
#[derive(Clone, Debug)]
pub struct AlgorithmInfo {
    /// Source name.
    pub name: String,
    /// Milliseconds spent training it.
    pub training_ms: f64,
}

/// `GET /admin/model`.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    /// Model version.
    pub version: String,
    /// When it was trained.
    pub trained_at: DateTime<Utc>,
    /// Training time including data loading.
    pub training_ms: u64,
    /// Users with ratings.
    pub users: usize,
    /// Movies known.
    pub movies: usize,
    /// Ratings trained on.
    pub ratings: usize,
    /// Sources and their training times.
    pub algorithms: Vec<AlgorithmInfo>,
    /// Offline metrics.
    pub metrics: ModelMetrics,
    /// Whether a newer model is being trained right now.
    pub training_in_progress: bool,
    /// Rating and feedback writes since this model's data was read.
    pub writes_since_training: u64,
}

/// Why a recommendation request failed.
#[derive(Debug, thiserror::Error)]
pub enum RecommendationError {
    /// No model is loaded yet (the first training is still running).
    #[error("the recommendation model is still being trained")]
    NotReady,
    /// No such movie.
    #[error("movie not found")]
    MovieNotFound,
    /// The ranking task panicked or was cancelled.
    #[error("ranking task: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A model id did not fit the database's (a bug).
    #[error(transparent)]
    Id(#[from] IdOutOfRange),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// Reading the data failed.
    #[error("loading training data: {0}")]
    Db(#[from] DbErr),
    /// The algorithms failed.
    #[error("training: {0}")]
    Model(#[from] crate::recommender::TrainError),
    /// The blocking task panicked or was cancelled.
    #[error("training task: {0}")]
    Task(String),
    /// A database id did not fit the model's (a bug).
    #[error(transparent)]
    Id(#[from] IdOutOfRange),
}

fn round(value: f32, places: i32) -> f32 {
    let factor = 10f32.powi(places);
    (value * factor).round() / factor
}

impl Recommender {
    /// A service with no model yet.
    pub fn new(catalog: Arc<Catalog>, config: TrainConfig, settings: RecommenderSettings) -> Self {
        Recommender {
            db: catalog.db().clone(),
            catalog,
            snapshot: RwLock::new(None),
            lists: GuardedCache::new(settings.cache_capacity, Some(settings.cache_ttl)),
            training: AtomicBool::new(false),
            force_training: AtomicBool::new(false),
            writes_since_training: AtomicU64::new(0),
            sequence: AtomicU64::new(0),
            wake: Notify::new(),
            config,
            settings,
        }
    }

    /// The serving model, if one is loaded.
    pub fn current(&self) -> Option<Arc<ModelSnapshot>> {
        // A poisoned lock still holds a valid Arc: use it.
        self.snapshot
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether a model is loaded (readiness).
    pub fn is_ready(&self) -> bool {
        self.current().is_some()
    }

    /// Rating and feedback writes since the serving model read its data.
    pub fn writes_since_training(&self) -> u64 {
        self.writes_since_training.load(Ordering::Relaxed)
    }

    /// Cache hits and misses.
    pub fn cache_counts(&self) -> crate::cache::CacheCounts {
        self.lists.counts()
    }

    /// Call after the user rated, dismissed, bought or changed preferences:
    /// drops their cached lists and counts towards the next retrain.
    pub fn user_changed(&self, user_id: i32) {
        self.lists
            .invalidate_where(move |key| key.user_id == Some(user_id));
        let writes = self.writes_since_training.fetch_add(1, Ordering::Relaxed) + 1;
        let threshold = self.settings.retrain_after_writes;
        if threshold > 0 && writes >= threshold {
            self.wake.notify_one();
        }
    }

    /// What an import must run after it commits: every cached movie and
    /// page is stale and the model should learn the new data.
    pub fn after_import(self: &Arc<Self>) -> Box<dyn FnOnce() + Send> {
        let recommender = Arc::clone(self);
        Box::new(move || {
            recommender.catalog.everything_changed();
            recommender.request_training();
        })
    }

    /// Asks the background trainer to retrain now. False when a training is
    /// already running (it will be followed by another).
    pub fn request_training(&self) -> bool {
        self.force_training.store(true, Ordering::Release);
        self.wake.notify_one();
        !self.training.load(Ordering::Acquire)
    }

    fn due(&self) -> bool {
        if self.force_training.load(Ordering::Acquire) {
            return true;
        }
        let Some(current) = self.current() else {
            return false;
        };
        let threshold = self.settings.retrain_after_writes;
        if threshold > 0 && self.writes_since_training.load(Ordering::Relaxed) >= threshold {
            return true;
        }
        self.settings.retrain_interval.is_some_and(|interval| {
            (Utc::now() - current.trained_at)
                .to_std()
                .unwrap_or_default()
                >= interval
        })
    }

    /// The trainer: trains at start (if enabled), then whenever asked or due.
    /// Runs until the runtime stops.
    pub async fn run_trainer(self: Arc<Self>) {
        let db = self.db.clone();
        if self.settings.train_on_start {
            self.force_training.store(true, Ordering::Release);
        }
        let mut last_data_check = Instant::now();
        loop {
            if last_data_check.elapsed() >= self.settings.data_check_interval {
                last_data_check = Instant::now();
                self.check_for_outside_changes(&db).await;
            }
            if self.due() {
                self.force_training.store(false, Ordering::Release);
                match self.train(&db).await {
                    Ok(snapshot) => log::info!(
                        "model {} trained in {} ms ({} ratings)",
                        snapshot.version,
                        snapshot.training_ms,
                        snapshot.ratings
                    ),
                    Err(err) => log::error!("model training failed: {err}"),
                }
            }
            let pause = self
                .settings
                .data_check_interval
                .min(Duration::from_secs(5));
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Asks for a retrain when the database holds many ratings or movies
    /// the model has not seen and that this instance did not write: a
    /// `cinerank import`, or writes through other instances. Two aggregate
    /// reads over `movies`, cheap at any catalogue size.
    async fn check_for_outside_changes(&self, db: &DatabaseConnection) {
        let Some(current) = self.current() else {
            return;
        };
        let threshold = self.settings.retrain_after_writes.max(1);
        let counts = async {
            let movies = movie::Entity::find().count(db).await?;
            let ratings: Option<i64> = movie::Entity::find()
                .select_only()
                .column_as(movie::Column::RatingCount.sum(), "ratings")
                .into_tuple::<Option<i64>>()
                .one(db)
                .await?
                .flatten();
            Ok::<_, DbErr>((movies, ratings.unwrap_or(0)))
        };
        match counts.await {
            Ok((movies, ratings)) => {
                let changed = ratings.abs_diff(current.ratings as i64)
                    + movies.abs_diff(current.catalogue_movies as u64);
                if changed >= threshold {
                    log::info!(
                        "the database has {ratings} ratings and {movies} movies, the model {} and {}: retraining",
                        current.ratings,
                        current.catalogue_movies
                    );
                    self.force_training.store(true, Ordering::Release);
                }
            }
            Err(err) => log::warn!("could not check the database for new data: {err}"),
        }
    }

    /// Trains a model from the database and swaps it in.
    pub async fn train(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<ModelSnapshot>, TrainingError> {
        if self.training.swap(true, Ordering::AcqRel) {
            return Err(TrainingError::Task(
                "a training is already running".to_owned(),
            ));
        }
        let result = self.train_inner(db).await;
        self.training.store(false, Ordering::Release);
        result
    }

    async fn train_inner(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Arc<ModelSnapshot>, TrainingError> {
        let started = Instant::now();
        // Writes from here on may be missing from the data: keep counting them.
        let writes_before = self.writes_since_training.load(Ordering::Relaxed);
        let data = load_training_data(db).await?;
        let config = self.config.clone();
        let (model, data) = tokio::task::spawn_blocking(move || {
            Model::train(&data, &config).map(|model| (model, data))
        })
        .await
        .map_err(|e| TrainingError::Task(e.to_string()))??;
        let metrics = sample_metrics(&model, &data);
        let trained_at = Utc::now();
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot = Arc::new(ModelSnapshot {
            version: format!("{}#{sequence}", trained_at.format("%Y-%m-%dT%H:%M:%SZ")),
            trained_at,
            training_ms: started.elapsed().as_millis() as u64,
            ratings: data.ratings.len(),
            catalogue_movies: data.movies.len(),
            metrics,
            model,
        });
        *self.snapshot.write().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
        self.lists.invalidate_all();
        self.writes_since_training.fetch_sub(
            writes_before.min(self.writes_since_training.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        Ok(snapshot)
    }

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
        let items = self.hydrate(&ranked.items, request.limit).await?;
        Ok(RecommendationList {
            user_id: Some(user_id),
            strategy: request.strategy.name(),
            model_version: ranked.model_version.clone(),
            items,
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
        Ok(RecommendationList {
            user_id: None,
            strategy: Strategy::Popular.name(),
            model_version: ranked.model_version.clone(),
            items: self.hydrate(&ranked.items, limit).await?,
        })
    }

    /// Movies most similar to `movie_id` (item neighbourhoods; for a movie
    /// without ratings, the best movies of its genres).
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
                super::catalog::CatalogError::Db(db) => RecommendationError::Db(db),
                _ => RecommendationError::MovieNotFound,
            })?;
        let genres = self.catalog.genres();
        let snapshot = self.current().ok_or(RecommendationError::NotReady)?;
        let model = &snapshot.model;
        let model_id = ids::movie_to_model(movie_id);
        let mut scored: Vec<(i64, f32)> = model.similar(model_id, limit);
        if scored.is_empty() {
            let genre = details.genres.first().and_then(|g| genres.resolve(g));
            let genre = genre.map(ids::genre_to_model).transpose()?;
            scored = model
                .popular(limit + 1, genre)
                .into_iter()
                .filter(|(id, _)| *id != model_id)
                .take(limit)
                .collect();
        }
        let scored = scored
            .into_iter()
            .map(|(id, score)| Ok((ids::movie_from_model(id)?, score)))
            .collect::<Result<Vec<(i32, f32)>, IdOutOfRange>>()?;
        let movie_ids: Vec<i32> = scored.iter().map(|(id, _)| *id).collect();
        let found = self.catalog.movies(&movie_ids).await?;
        let items = scored
            .into_iter()
            .filter_map(|(id, score)| {
                // Movies deleted since training are skipped.
                let details = found.get(&id)?;
                Some(SimilarItem {
                    movie: MovieSummary::from(details.as_ref()),
                    score: round(score, 4),
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
                                movie_id: m.id,
                                title: m.title.clone(),
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
                movie: MovieSummary::from(details.as_ref()),
                score: round(rec.score, 4),
                predicted_rating: rec.predicted_rating.map(|p| round(p, 2)),
                reasons,
            });
        }
        Ok(items)
    }
}

/// The serving model's readiness, version, age, training time and the
/// writes it has not seen.
impl Component for Recommender {
    fn render(&self, out: &mut Exposition) {
        let model = self.current();
        out.single(
            "cinerank_model_ready",
            "gauge",
            "1 when a recommendation model is loaded.",
            if model.is_some() { 1.0 } else { 0.0 },
        );
        if let Some(model) = model {
            out.header(
                "cinerank_model_info",
                "gauge",
                "The serving model's version (value is always 1).",
            );
            out.sample(
                "cinerank_model_info",
                &[("version", model.version.clone())],
                1.0,
            );
            let age = (chrono::Utc::now() - model.trained_at).num_milliseconds() as f64 / 1000.0;
            out.single(
                "cinerank_model_age_seconds",
                "gauge",
                "Seconds since the serving model was trained.",
                age,
            );
            out.single(
                "cinerank_model_training_seconds",
                "gauge",
                "How long the serving model took to train, data loading included.",
                model.training_ms as f64 / 1000.0,
            );
            out.single(
                "cinerank_model_trained_ratings",
                "gauge",
                "Ratings the serving model learnt from.",
                model.ratings as f64,
            );
        }
        out.single(
            "cinerank_model_writes_since_training",
            "gauge",
            "Rating and feedback writes not yet in the serving model.",
            self.writes_since_training() as f64,
        );
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
    })
}

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
        purchased: super::store::purchased_movies(db, user_id)
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
    let purchases = super::store::all_purchases(db)
        .await?
        .into_iter()
        .map(|(user, movie)| (ids::user_to_model(user), ids::movie_to_model(movie)))
        .collect();
    Ok(TrainingData {
        ratings,
        movies,
        purchases,
    })
}

/// In-sample RMSE/MAE of the rating model on an evenly spaced sample.
fn sample_metrics(model: &Model, data: &TrainingData) -> ModelMetrics {
    const SAMPLE: usize = 5_000;
    let step = (data.ratings.len() / SAMPLE).max(1);
    let mut by_user: HashMap<i64, UserContext> = HashMap::new();
    let sample: Vec<&(i64, i64, f32)> = data.ratings.iter().step_by(step).take(SAMPLE).collect();
    for (user, _, _) in &sample {
        by_user.entry(*user).or_default();
    }
    for (user, movie, value) in &data.ratings {
        if let Some(ctx) = by_user.get_mut(user) {
            ctx.ratings.push((*movie, *value));
        }
    }
    let folded: HashMap<i64, _> = by_user
        .iter()
        .map(|(user, ctx)| (*user, model.fold_in(ctx)))
        .collect();
    let (mut squared, mut absolute) = (0.0f64, 0.0f64);
    for (user, movie, value) in &sample {
        let Some(user) = folded.get(user) else {
            continue;
        };
        let error = f64::from(model.predict_folded(user, *movie) - value);
        squared += error * error;
        absolute += error.abs();
    }
    let n = sample.len();
    ModelMetrics {
        train_rmse: (n > 0).then(|| ((squared / n as f64).sqrt() * 1e4).round() / 1e4),
        train_mae: (n > 0).then(|| (absolute / n as f64 * 1e4).round() / 1e4),
        sample_size: n,
    }
}
