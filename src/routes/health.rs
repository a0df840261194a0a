//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorEnvelope};
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
