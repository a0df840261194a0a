//! The one application state shared by every request handler: the
//! services (each owning its database handle and caches) and the web
//! layer's own pieces (tokens, rate limit, HTTP metrics, route table).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::rate_limit::RateLimiter;
use crate::config::Settings;
use crate::metrics::caches::CacheMetrics;
use crate::metrics::imports::ImportMetrics;
use crate::metrics::pool::PoolMetrics;
use crate::metrics::{self, HttpMetrics};
use crate::middleware::route_table::RouteTable;
use crate::services::accounts::Accounts;
use crate::services::catalog::Catalog;
use crate::services::changes::Caches;
use crate::services::changes::feed::FeedStatus;
use crate::services::import_jobs::ImportJobs;
use crate::services::lists::Lists;
use crate::services::ratings::Ratings;
use crate::services::recommendations::Recommender;
use crate::services::store::Store;

/// Shared, cheaply clonable state (wrapped in `web::Data`).
pub struct AppState {
    /// The connection pool (readiness and pool metrics; services hold their own handle).
    pub db: DatabaseConnection,
    /// Start-up configuration.
    pub settings: Arc<Settings>,
    /// Movies, genres and their caches.
    pub catalog: Arc<Catalog>,
    /// Ratings (invalidate the catalogue and the recommender).
    pub ratings: Ratings,
    /// Watchlists and dismissals.
    pub lists: Lists,
    /// Accounts, sign-in and administration of users.
    pub accounts: Accounts,
    /// Carts and orders.
    pub store: Store,
    /// The recommendation model, its trainer and its cache.
    pub recommender: Arc<Recommender>,
    /// Every cache (what the change feed and the services' writes drop).
    pub caches: Arc<Caches>,
    /// The change feed's state.
    pub feed: Arc<FeedStatus>,
    /// Known route patterns, to tell 405 from 404.
    pub routes: Arc<RouteTable>,
    /// Token verification (the extractors).
    pub jwt: JwtKeys,
    /// Register/login attempts per client address.
    pub auth_limiter: RateLimiter,
    /// Request counts and latencies for `/metrics`.
    pub metrics: HttpMetrics,
    /// Imports started over HTTP (one at a time).
    pub imports: Arc<ImportJobs>,
}

impl AppState {
    /// The `/metrics` document: every component's families, in a fixed order.
    pub fn render_metrics(&self) -> String {
        let pool = PoolMetrics {
            db: &self.db,
            max_connections: self.settings.db_max_connections,
        };
        let mut caches = self.catalog.cache_counts().to_vec();
        caches.push(("recommendations", self.recommender.cache_counts()));
        caches.push(("accounts", self.caches.accounts().counts()));
        metrics::exposition(&[
            &self.metrics,
            &pool,
            &CacheMetrics(caches),
            self.feed.as_ref(),
            self.recommender.as_ref(),
            &ImportMetrics(&self.imports),
        ])
    }
}
