//! Ratings on the wire: the JSON bodies the handlers read and write,
//! with their OpenAPI schemas, and the conversions from and to the
//! service's domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::catalog::*;
use crate::services::ratings as svc;

/// `PUT /movies/{id}/rating` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 0.5–5.0 in steps of 0.5.
    #[schema(minimum = 0.5, maximum = 5.0, multiple_of = 0.5)]
    pub rating: f64,
}

from_fields!(RatingRequest => svc::RatingRequest { rating });

/// A stored rating.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RatingView {
    /// The movie.
    pub movie_id: i32,
    /// 0.5–5.0.
    pub rating: f64,
    /// When it was given or last changed.
    pub rated_at: DateTime<Utc>,
}

from_fields!(svc::RatingView => RatingView { movie_id, rating, rated_at });

/// One of a user's ratings with the movie.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RatedMovie {
    /// The movie.
    pub movie: MovieSummary,
    /// 0.5–5.0.
    pub rating: f64,
    /// When it was given or last changed.
    pub rated_at: DateTime<Utc>,
}

from_fields!(svc::RatedMovie => RatedMovie { movie, rating, rated_at });

/// How many ratings have one value.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RatingBucket {
    /// 0.5–5.0.
    pub rating: f64,
    /// Ratings with exactly this value.
    pub count: i64,
}

from_fields!(svc::RatingBucket => RatingBucket { rating, count });

/// Every rating in the database counted per half star.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RatingDistribution {
    /// All ten values from 0.5 to 5.0 in order, zero counts included.
    pub items: Vec<RatingBucket>,
    /// Ratings in total.
    pub total: i64,
}

impl From<svc::RatingDistribution> for RatingDistribution {
    fn from(v: svc::RatingDistribution) -> Self {
        RatingDistribution {
            items: v.items.into_iter().map(Into::into).collect(),
            total: v.total,
        }
    }
}
