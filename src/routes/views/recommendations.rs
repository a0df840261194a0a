//! Recommendations on the wire: the JSON bodies the handlers read and write,
//! with their OpenAPI schemas, and the conversions from and to the
//! service's domain types.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::catalog::MovieSummary;
use crate::error::ApiError;
use crate::services::recommendations as svc;

/// Offline metrics computed after training.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ModelMetrics {
    /// RMSE of predicted vs. actual ratings on a sample of the training data.
    pub train_rmse: Option<f64>,
    /// MAE on the same sample.
    pub train_mae: Option<f64>,
    /// Ratings in the sample.
    pub sample_size: usize,
}

from_fields!(svc::ModelMetrics => ModelMetrics { train_rmse, train_mae, sample_size });

/// One recommended movie.
#[derive(Clone, Debug, Serialize, ToSchema)]
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

impl From<&svc::RecommendationItem> for RecommendationItem {
    fn from(v: &svc::RecommendationItem) -> Self {
        RecommendationItem {
            movie: v.movie.as_ref().into(),
            score: v.score,
            predicted_rating: v.predicted_rating,
            reasons: v.reasons.iter().cloned().map(Into::into).collect(),
        }
    }
}

/// A recommendation list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecommendationList {
    /// Whose list (absent for the non-personalised chart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i32>,
    /// `hybrid`, `collaborative`, `genre` or `popular`.
    pub strategy: &'static str,
    /// The model that ranked it.
    pub model_version: String,
    /// Best first.
    pub items: Vec<RecommendationItem>,
}

impl From<&svc::RecommendationList> for RecommendationList {
    fn from(v: &svc::RecommendationList) -> Self {
        RecommendationList {
            user_id: v.user_id,
            strategy: v.strategy,
            model_version: v.model_version.clone(),
            items: v.items.iter().map(Into::into).collect(),
        }
    }
}

impl RecommendationList {
    /// The JSON answer for a service list. Its body is serialised once per
    /// cached, unchanged list and shared by every later answer (see
    /// [`svc::RecommendationList::rendered`]): a cache hit only copies a
    /// reference.
    pub fn respond(list: &svc::RecommendationList) -> Result<HttpResponse, ApiError> {
        let body = list
            .rendered
            .get_or_render(|| serde_json::to_vec(&RecommendationList::from(list)))
            .map_err(|err| ApiError::Internal(Box::new(err)))?;
        Ok(HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body))
    }
}

/// A movie similar to another.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SimilarItem {
    /// The movie.
    pub movie: MovieSummary,
    /// Similarity (higher is more similar).
    pub score: f32,
    /// Why it is alike.
    pub reason: SimilarReasonView,
}

from_fields!(svc::SimilarItem => SimilarItem { movie, score, reason });

/// Why a movie is similar to another.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SimilarReasonView {
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

impl From<svc::SimilarReason> for SimilarReasonView {
    fn from(reason: svc::SimilarReason) -> Self {
        match reason {
            svc::SimilarReason::RatedTogether => SimilarReasonView::RatedTogether,
            svc::SimilarReason::SameSeries => SimilarReasonView::SameSeries,
            svc::SimilarReason::SameDirector { name } => SimilarReasonView::SameDirector { name },
            svc::SimilarReason::SharedCast { name } => SimilarReasonView::SharedCast { name },
            svc::SimilarReason::SameGenre { genre } => SimilarReasonView::SameGenre { genre },
        }
    }
}

/// `GET /movies/{id}/similar`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SimilarList {
    /// Most similar first.
    pub items: Vec<SimilarItem>,
}

impl From<svc::SimilarList> for SimilarList {
    fn from(v: svc::SimilarList) -> Self {
        SimilarList {
            items: v.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// `GET /users/{id}/predictions/{movie_id}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Prediction {
    /// The user.
    pub user_id: i32,
    /// The movie.
    pub movie_id: i32,
    /// Predicted rating, 0.5–5.0.
    pub predicted_rating: f32,
}

from_fields!(svc::Prediction => Prediction { user_id, movie_id, predicted_rating });

/// Training time of one source.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlgorithmInfo {
    /// Source name.
    pub name: String,
    /// Milliseconds spent training it.
    pub training_ms: f64,
}

from_fields!(svc::AlgorithmInfo => AlgorithmInfo { name, training_ms });

/// `GET /admin/model`.
#[derive(Clone, Debug, Serialize, ToSchema)]
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

impl From<svc::ModelInfo> for ModelInfo {
    fn from(v: svc::ModelInfo) -> Self {
        ModelInfo {
            version: v.version,
            trained_at: v.trained_at,
            training_ms: v.training_ms,
            users: v.users,
            movies: v.movies,
            ratings: v.ratings,
            algorithms: v.algorithms.into_iter().map(Into::into).collect(),
            metrics: v.metrics.into(),
            training_in_progress: v.training_in_progress,
            writes_since_training: v.writes_since_training,
        }
    }
}

/// Why a movie was recommended.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
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

impl From<svc::ReasonView> for ReasonView {
    fn from(reason: svc::ReasonView) -> Self {
        match reason {
            svc::ReasonView::SimilarTo { movie_id, title } => {
                ReasonView::SimilarTo { movie_id, title }
            }
            svc::ReasonView::Genre { genre } => ReasonView::Genre { genre },
            svc::ReasonView::Popular => ReasonView::Popular,
        }
    }
}
