//! Liveness and readiness probes, and the Prometheus metrics.

use actix_web::{HttpResponse, get, web};
use sea_orm::DatabaseBackend;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorEnvelope};
use crate::metrics::Exposition;
use crate::services::import::Phase;
use crate::services::import_jobs::{ImportJobs, RunningImport};
use crate::state::AppState;

/// Probe answer.
#[derive(Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// Liveness: the process answers HTTP.
#[utoipa::path(tag = "operations", responses((status = 200, body = Status)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok" })
}

/// Readiness: 200 when the database answers and a model is loaded, else 503.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, body = Status), (status = 503, body = ErrorEnvelope))
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await.map_err(ApiError::Unavailable)?;
    if !state.recommender.is_ready() {
        return Err(ApiError::ServiceUnavailable(
            "the first recommendation model is still training".to_owned(),
        ));
    }
    Ok(HttpResponse::Ok().json(Status { status: "ready" }))
}

/// Prometheus metrics: requests by route and status with latency
/// histograms, requests in flight, connection pool use, cache hits and
/// misses, and the model's version, age and training time.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut out = Exposition::default();
    state.metrics.render(&mut out);

    let (size, idle) = match state.db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DatabaseBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    out.header(
        "cinerank_db_pool_connections",
        "gauge",
        "Open database connections by state.",
    );
    out.sample(
        "cinerank_db_pool_connections",
        &[("state", "idle".into())],
        idle as f64,
    );
    out.sample(
        "cinerank_db_pool_connections",
        &[("state", "in_use".into())],
        size.saturating_sub(idle as u32) as f64,
    );
    out.single(
        "cinerank_db_pool_max_connections",
        "gauge",
        "Configured pool size.",
        f64::from(state.settings.db_max_connections),
    );

    let caches = [
        ("movie_details", state.catalog_cache.details.counts()),
        ("movie_pages", state.catalog_cache.pages.counts()),
        ("recommendations", state.recommender.cache_counts()),
    ];
    out.header(
        "cinerank_cache_hits_total",
        "counter",
        "Cache lookups answered from memory.",
    );
    for (cache, counts) in &caches {
        out.sample(
            "cinerank_cache_hits_total",
            &[("cache", (*cache).into())],
            counts.hits as f64,
        );
    }
    out.header(
        "cinerank_cache_misses_total",
        "counter",
        "Cache lookups that went to the database or the model.",
    );
    for (cache, counts) in &caches {
        out.sample(
            "cinerank_cache_misses_total",
            &[("cache", (*cache).into())],
            counts.misses as f64,
        );
    }

    let model = state.recommender.current();
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
        state.recommender.writes_since_training() as f64,
    );
    render_imports(&state.imports, &mut out);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out.finish())
}

/// Import progress (`POST /api/v1/admin/imports` on this instance).
fn render_imports(imports: &ImportJobs, out: &mut Exposition) {
    let running = imports.running();
    out.single(
        "cinerank_import_running",
        "gauge",
        "1 while an import runs on this instance.",
        if running.is_some() { 1.0 } else { 0.0 },
    );
    out.header(
        "cinerank_import_phase",
        "gauge",
        "The running import's phase (1 for the current one).",
    );
    for phase in Phase::ALL {
        let current = running.is_some_and(|r| r.phase == phase);
        out.sample(
            "cinerank_import_phase",
            &[("phase", phase.name().to_owned())],
            if current { 1.0 } else { 0.0 },
        );
    }
    let running = running.unwrap_or(RunningImport {
        phase: Phase::Pending,
        bytes_total: 0,
        bytes_read: 0,
        ratings_read: 0,
        ratings_stored: 0,
        elapsed_seconds: 0.0,
    });
    out.single(
        "cinerank_import_ratings_bytes_total",
        "gauge",
        "Size of the running import's ratings file.",
        running.bytes_total as f64,
    );
    out.single(
        "cinerank_import_ratings_bytes_read",
        "gauge",
        "Bytes of the ratings file the running import has parsed.",
        running.bytes_read as f64,
    );
    out.single(
        "cinerank_import_ratings_read",
        "gauge",
        "Rating lines the running import has parsed.",
        running.ratings_read as f64,
    );
    out.single(
        "cinerank_import_ratings_stored",
        "gauge",
        "Ratings the running import has handed to the database.",
        running.ratings_stored as f64,
    );
    out.single(
        "cinerank_import_elapsed_seconds",
        "gauge",
        "Seconds since the running import started.",
        running.elapsed_seconds,
    );
    let totals = imports.totals();
    out.header(
        "cinerank_imports_total",
        "counter",
        "Finished imports by outcome.",
    );
    out.sample(
        "cinerank_imports_total",
        &[("outcome", "succeeded".to_owned())],
        totals.succeeded as f64,
    );
    out.sample(
        "cinerank_imports_total",
        &[("outcome", "failed".to_owned())],
        totals.failed as f64,
    );
    out.single(
        "cinerank_import_last_duration_seconds",
        "gauge",
        "How long the last finished import took.",
        imports.last_duration_seconds(),
    );
}
