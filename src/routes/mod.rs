//! HTTP handlers, grouped by domain. Each one extracts its input, calls a
//! service and maps the result; no SQL or business rule lives here.

pub mod extract;
pub mod fallback;
pub mod health;
pub mod movies;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route (paths are collected into OpenAPI).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::health).service(health::ready).service(
        scope::scope("/api/v1")
            .service(movies::list_movies)
            .service(movies::get_movie)
            .service(movies::list_genres),
    );
}
