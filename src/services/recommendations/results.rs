//! What the recommendation service answers: lists with their reasons,
//! similar movies, predictions and the model's description.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::ModelMetrics;
use crate::cache::RenderedOnce;
use crate::services::catalog::Movie;

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
    pub movie: Arc<Movie>,
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
    /// Best first. Shared with the cached list it came from (see
    /// `hydrate_list`).
    pub items: Arc<Vec<RecommendationItem>>,
    /// Where the web layer keeps this exact answer's serialised body; shared
    /// by every answer from the same cached, unchanged list, so a cache hit
    /// serialises nothing.
    pub rendered: Arc<RenderedOnce>,
}

/// A movie similar to another.
#[derive(Clone, Debug)]
pub struct SimilarItem {
    /// The movie.
    pub movie: Arc<Movie>,
    /// Similarity (higher is more similar).
    pub score: f32,
    /// Why it is alike, when its content says so (collaborative neighbours
    /// without a content reason are "rated by the same people").
    pub reason: SimilarReason,
}

/// Why a movie is similar to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimilarReason {
    /// People who rated one rated the other alike.
    RatedTogether,
    /// The same series.
    SameSeries,
    /// A director in common.
    SameDirector {
        /// The director.
        name: String,
    },
    /// An actor in common.
    SharedCast {
        /// The actor.
        name: String,
    },
    /// A genre in common.
    SameGenre {
        /// The genre.
        genre: String,
    },
}

/// Movies similar to one movie.
#[derive(Clone, Debug)]
pub struct SimilarList {
    /// Most similar first.
    pub items: Vec<SimilarItem>,
}

/// A user's predicted rating of a movie.
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

/// What is known about the serving model.
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
