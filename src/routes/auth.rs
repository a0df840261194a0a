//! Registration and login (rate limited per client address), for API
//! clients (bearer token in the body) and for browsers (session cookies).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, post, web};

use crate::auth::AuthUser;
use crate::auth::session::{self, SessionResponse};
use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::responses::{LoginFailures, RegistrationFailures, Unauthorized};
use crate::routes::views::accounts::{AuthResponse, LoginRequest, RegisterRequest};
use crate::state::AppState;

/// Registration behind the per-client rate limit (bearer and cookie routes alike).
async fn register_limited(
    req: &HttpRequest,
    state: &AppState,
    body: RegisterRequest,
) -> Result<AuthResponse, ApiError> {
    state
        .auth_limiter
        .check(req, state.settings.trust_forwarded_for)?;
    Ok(state.accounts.register(body.into()).await?.into())
}

/// Login behind the per-client rate limit (bearer and cookie routes alike).
async fn login_limited(
    req: &HttpRequest,
    state: &AppState,
    body: LoginRequest,
) -> Result<AuthResponse, ApiError> {
    state
        .auth_limiter
        .check(req, state.settings.trust_forwarded_for)?;
    Ok(state.accounts.login(body.into()).await?.into())
}

/// Create an account; answers with a token so the client is signed in.
#[utoipa::path(
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = AuthResponse),
        RegistrationFailures,
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let response = register_limited(&req, &state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(response))
}

/// Sign in with username or email.
#[utoipa::path(
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, body = AuthResponse),
        LoginFailures,
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<web::Json<AuthResponse>, ApiError> {
    let response = login_limited(&req, &state, body.into_inner()).await?;
    Ok(web::Json(response))
}

/// Sign in for a browser: like `POST /auth/login`, but the token is set as
/// the `HttpOnly; SameSite=Strict` cookie `cinerank_session` (never in the
/// body) together with the CSRF cookie `cinerank_csrf`. Only JSON bodies are
/// accepted, which a cross-site form cannot send.
#[utoipa::path(
    tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 200, body = SessionResponse, headers(("set-cookie" = String, description = "`cinerank_session` (HttpOnly) and `cinerank_csrf`"))),
        LoginFailures,
    )
)]
#[post("/auth/session")]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let response = login_limited(&req, &state, body.into_inner()).await?;
    session::start(&state.settings, &state.jwt, StatusCode::OK, response)
}

/// Create an account and sign it in with session cookies (see `POST /auth/session`).
#[utoipa::path(
    tag = "accounts",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = SessionResponse, headers(("set-cookie" = String, description = "`cinerank_session` (HttpOnly) and `cinerank_csrf`"))),
        RegistrationFailures,
    )
)]
#[post("/auth/session/register")]
pub async fn sign_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let response = register_limited(&req, &state, body.into_inner()).await?;
    session::start(&state.settings, &state.jwt, StatusCode::CREATED, response)
}

/// Sign out: expires both session cookies. Needs no credentials, so a
/// browser holding an expired or foreign token can always clear it.
#[utoipa::path(
    tag = "accounts",
    responses((status = 204, headers(("set-cookie" = String, description = "both cookies, expired"))))
)]
#[delete("/auth/session")]
pub async fn sign_out(state: web::Data<AppState>) -> HttpResponse {
    session::end(&state.settings)
}

/// Sign out everywhere: every token and browser session of the account
/// issued before now stops working (this one included, whose cookies are
/// also expired).
#[utoipa::path(
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 204, headers(("set-cookie" = String, description = "both session cookies, expired"))),
        Unauthorized,
        (status = 403, description = "Cookie session without the CSRF token", body = ErrorEnvelope),
    )
)]
#[post("/auth/logout-all")]
pub async fn logout_all(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.end_sessions(user.id).await?;
    Ok(session::end(&state.settings))
}
