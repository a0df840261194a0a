//! Watchlists on the wire: the JSON bodies the handlers read and write,
//! with their OpenAPI schemas, and the conversions from and to the
//! service's domain types.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::catalog::*;
use crate::services::lists as svc;

/// A watchlist entry.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WatchlistEntry {
    /// The movie.
    pub movie: MovieSummary,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

from_fields!(svc::WatchlistEntry => WatchlistEntry { movie, added_at });
