//! Registration and login (rate limited per client address).

use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::error::{ApiError, ErrorEnvelope};
use crate::services::accounts::{self, AuthResponse, LoginRequest, RegisterRequest};
use crate::state::AppState;

/// Create an account; answers with a token so the client is signed in.
#[utoipa::path(
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = AuthResponse),
        (status = 409, description = "Username or email taken", body = ErrorEnvelope),
        (status = 422, description = "Invalid field", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts", body = ErrorEnvelope),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth_limiter
        .check(&req, state.settings.trust_forwarded_for)?;
    let response =
        accounts::register(&state.db, &state.genres, &state.jwt, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(response))
}

/// Sign in with username or email.
#[utoipa::path(
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, body = AuthResponse),
        (status = 401, description = "Wrong login or password (one message for both)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts", body = ErrorEnvelope),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    state
        .auth_limiter
        .check(&req, state.settings.trust_forwarded_for)?;
    let response = accounts::login(&state.db, &state.genres, &state.jwt, body.into_inner()).await?;
    Ok(web::Json(response))
}
