//! The one application state shared by every request handler.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimiter;
use crate::config::Settings;
use crate::metrics::HttpMetrics;
use crate::routes::fallback::RouteTable;
use crate::services::catalog::{CatalogCache, GenreCatalog};
use crate::services::import_jobs::ImportJobs;
use crate::services::recommendations::Recommender;

/// Shared, cheaply clonable state (wrapped in `web::Data`).
pub struct AppState {
    /// The connection pool.
    pub db: DatabaseConnection,
    /// Start-up configuration.
    pub settings: Arc<Settings>,
    /// The genre vocabulary (static after migrations).
    pub genres: Arc<GenreCatalog>,
    /// Movie details and list pages, invalidated on every catalogue write.
    pub catalog_cache: CatalogCache,
    /// The recommendation model, its trainer and its cache.
    pub recommender: Arc<Recommender>,
    /// Known route patterns, to tell 405 from 404.
    pub routes: Arc<RouteTable>,
    /// Token signing and verification.
    pub jwt: JwtKeys,
    /// Register/login attempts per client address.
    pub auth_limiter: RateLimiter,
    /// Request counts and latencies for `/metrics`.
    pub metrics: HttpMetrics,
    /// Imports started over HTTP (one at a time).
    pub imports: Arc<ImportJobs>,
}
