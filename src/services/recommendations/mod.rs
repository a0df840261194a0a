//! Serving recommendations. The trained model is an immutable snapshot
//! swapped atomically (the old one serves until the new one is ready);
//! training ([`trainer`]) runs on the blocking pool, at start-up, on demand
//! and after enough writes. Each request ([`serve`]) folds the user's
//! *current* ratings, preferences and dismissals in ([`data`]), so a write
//! shows in that user's very next list. Ranked lists are cached per user and
//! invalidated on every write by that user and on every model swap. The
//! results are plain data ([`results`]); the model reports its own metrics
//! ([`metrics`]).

pub mod data;
pub mod metrics;
pub mod publish;
pub mod results;
pub mod serve;
pub mod trainer;

pub use data::{load_training_data, user_context};
pub use results::{
    AlgorithmInfo, ModelInfo, Prediction, ReasonView, RecommendationItem, RecommendationList,
    SimilarItem, SimilarList, SimilarReason,
};

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::Notify;

use crate::cache::{GuardedCache, RenderedOnce};
pub use crate::config::ModelTraining;
use crate::recommender::content::ContentIndex;
use crate::recommender::{Model, Recommendation, Strategy, TrainConfig};
use crate::services::catalog::Catalog;
use crate::services::changes::Change;
use crate::services::ids::IdOutOfRange;

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
    /// How long a cached list may live at most (memory only: every write,
    /// on any instance, invalidates through the change feed).
    pub cache_ttl: Duration,
    /// Train here, or load what a worker publishes.
    pub training: ModelTraining,
    /// Publish every model trained here to the database (the worker).
    pub publish: bool,
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
    /// Every movie's content profile, for "more like this".
    pub content: ContentIndex,
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
    /// The list hydrated with movie data, reused while no movie changed, so
    /// a cached list costs one lookup instead of one per movie.
    hydrated: std::sync::Mutex<Option<Hydrated>>,
}

/// A ranked list's items with movie data, the catalogue's details epoch
/// they were built under, and the slot for the answer's serialised form
/// (new with every hydration, so it is never older than its items).
#[derive(Clone)]
struct Hydrated {
    epoch: u64,
    items: Arc<Vec<RecommendationItem>>,
    rendered: Arc<RenderedOnce>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ListKey {
    user_id: Option<i32>,
    /// The user's list generation when the list was ranked (see
    /// [`Recommender::forget_user`]).
    generation: u64,
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
    /// Each user's current list generation; a user absent here is at 0.
    generations: std::sync::Mutex<HashMap<i32, u64>>,
    last_generation: AtomicU64,
    training: AtomicBool,
    force_training: AtomicBool,
    writes_since_training: AtomicU64,
    sequence: AtomicU64,
    trainings: AtomicU64,
    loads: AtomicU64,
    load_wanted: AtomicBool,
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
            generations: std::sync::Mutex::new(HashMap::new()),
            last_generation: AtomicU64::new(0),
            training: AtomicBool::new(false),
            force_training: AtomicBool::new(false),
            writes_since_training: AtomicU64::new(0),
            sequence: AtomicU64::new(0),
            trainings: AtomicU64::new(0),
            loads: AtomicU64::new(0),
            load_wanted: AtomicBool::new(true),
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

    /// Models trained by this process.
    pub fn trainings(&self) -> u64 {
        self.trainings.load(Ordering::Relaxed)
    }

    /// Published models this process loaded.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// Call after this instance committed a write by the user (a rating, a
    /// dismissal, a purchase, new preferences): drops their cached lists
    /// and counts towards the next retrain.
    pub fn user_changed(&self, user_id: i32) {
        self.forget_user(user_id);
        let writes = self.writes_since_training.fetch_add(1, Ordering::Relaxed) + 1;
        let threshold = self.settings.retrain_after_writes;
        if threshold > 0 && writes >= threshold {
            self.wake.notify_one();
        }
    }

    /// Drops the user's cached lists (a write heard from the change feed;
    /// the trainer counts those writes from the database itself). The lists
    /// are not searched for: the user moves to a new generation, which no
    /// cached key has, and the old entries age out. A per-user predicate
    /// (moka's `invalidate_entries_if`) would be checked on every lookup
    /// until the cache's housekeeping caught up, which under a stream of
    /// rating writes made every cached list slow to read.
    pub fn forget_user(&self, user_id: i32) {
        let generation = self.last_generation.fetch_add(1, Ordering::Relaxed) + 1;
        self.generations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user_id, generation);
    }

    /// The user's current list generation. Read it *before* loading the
    /// user's data: a write committed after that bumps the generation, so a
    /// list ranked from older data is stored under a key nobody asks for.
    fn generation(&self, user_id: i32) -> u64 {
        self.generations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&user_id)
            .copied()
            .unwrap_or(0)
    }

    /// Drops every cached list.
    pub fn forget_all_lists(&self) {
        self.lists.invalidate_all();
    }

    /// After a bulk write (an import): the model should learn the new data.
    pub fn data_replaced(&self) {
        self.request_training();
    }

    /// What an import must run after it commits: every cached movie and
    /// page is stale and the model should learn the new data.
    pub fn after_import(self: &Arc<Self>) -> Box<dyn FnOnce() + Send> {
        let recommender = Arc::clone(self);
        Box::new(move || {
            recommender.catalog.everything_changed();
            recommender.data_replaced();
        })
    }

    /// Asks the background trainer to retrain now. False when a training is
    /// already running (it will be followed by another), and when this
    /// process does not train (see [`Recommender::ask_for_retrain`]).
    pub fn request_training(&self) -> bool {
        if self.settings.training == ModelTraining::Off {
            return false;
        }
        self.force_training.store(true, Ordering::Release);
        self.wake.notify_one();
        !self.training.load(Ordering::Acquire)
    }

    /// `POST /admin/model/retrain`: retrains here, or, when a worker
    /// trains, asks it through the change feed. True when a new training
    /// will start (rather than follow the one already running).
    pub async fn ask_for_retrain(&self) -> Result<bool, DbErr> {
        match self.settings.training {
            ModelTraining::InProcess => Ok(self.request_training()),
            ModelTraining::Off => {
                crate::services::changes::record(&self.db, &[Change::RetrainRequested]).await?;
                Ok(true)
            }
        }
    }

    /// A worker announced a new model: a serving-only process loads it.
    pub fn published_model_announced(&self) {
        if self.settings.training == ModelTraining::Off {
            self.load_wanted.store(true, Ordering::Release);
            self.wake.notify_one();
        }
    }

    /// The background task that keeps a model serving: the trainer, or the
    /// loader of published models. Runs until the runtime stops.
    pub async fn run(self: Arc<Self>) {
        match self.settings.training {
            ModelTraining::InProcess => self.run_trainer().await,
            ModelTraining::Off => self.run_loader().await,
        }
    }
}
