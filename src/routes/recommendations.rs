//! Recommendation routes: personal lists, predictions, the public chart,
//! similar movies, and the model's administration.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AdminUser, AuthUser};
use crate::error::{ApiError, ErrorEnvelope};
use crate::recommender::Strategy;
use crate::routes::extract::{QueryParams, parse_id};
use crate::routes::responses::{Forbidden, NotFound, Unauthorized, Unavailable, Unprocessable};
use crate::routes::users::accessible_user;
use crate::routes::views::recommendations::{
    ModelInfo, Prediction, RecommendationList, SimilarList,
};
use crate::services::recommendations::ListRequest;
use crate::state::AppState;

/// Most ids accepted in `exclude`.
const MAX_EXCLUDED: usize = 500;

fn genre_param(params: &mut QueryParams, state: &AppState) -> Option<i32> {
    let name = params.text("genre")?.to_owned();
    let genres = state.catalog.genres();
    let id = genres.resolve(&name);
    if id.is_none() {
        params.problem(
            "genre",
            format!("unknown genre `{name}`; known: {}", genres.names_joined()),
        );
    }
    id
}

/// The query of a recommendation list as the OpenAPI document lists it, for
/// `params(ListQuery)` (the handlers read it with [`list_request`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only documents the query")]
struct ListQuery {
    /// 1–100 (default 10)
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// Which source ranks the list (default hybrid)
    strategy: Option<Strategy>,
    /// Only this genre
    genre: Option<String>,
    /// Comma-separated movie ids never to return
    exclude: Option<String>,
}

fn list_request(req: &HttpRequest, state: &AppState) -> Result<ListRequest, ApiError> {
    let mut params = QueryParams::from_request(req);
    let limit = params.limit()?;
    let strategy = match params.text("strategy") {
        None => Strategy::default(),
        Some(raw) => raw.parse().unwrap_or_else(|_| {
            params.problem(
                "strategy",
                format!("must be one of {}", Strategy::names_joined()),
            );
            Strategy::default()
        }),
    };
    let genre = genre_param(&mut params, state);
    let mut exclude = Vec::new();
    for raw in params.list("exclude") {
        match raw.parse::<i32>() {
            Ok(id) if id > 0 => exclude.push(id),
            _ => params.problem("exclude", format!("`{raw}` is not a movie id")),
        }
    }
    exclude.sort_unstable();
    exclude.dedup();
    if exclude.len() > MAX_EXCLUDED {
        params.problem("exclude", format!("at most {MAX_EXCLUDED} ids"));
    }
    params.finish()?;
    Ok(ListRequest {
        strategy,
        limit,
        genre,
        exclude,
    })
}

async fn recommendations_for(
    req: &HttpRequest,
    state: &AppState,
    user_id: i32,
) -> Result<HttpResponse, ApiError> {
    let request = list_request(req, state)?;
    RecommendationList::respond(&state.recommender.for_user(user_id, request).await?)
}

/// The caller's recommendations.
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = RecommendationList),
        Unauthorized, Unprocessable,
        (status = 503, description = "The first model is still training", body = ErrorEnvelope),
    )
)]
#[get("/users/me/recommendations")]
pub async fn my_recommendations(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    recommendations_for(&req, &state, user.id).await
}

/// A user's recommendations (the user themself or an admin).
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1), ListQuery),
    responses(
        (status = 200, body = RecommendationList),
        Unauthorized,
        (status = 403, description = "Another user's recommendations", body = ErrorEnvelope),
        NotFound, Unprocessable, Unavailable,
    )
)]
#[get("/users/{id}/recommendations")]
pub async fn user_recommendations(
    req: HttpRequest,
    path: web::Path<String>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = accessible_user(&path, &user, &state).await?;
    recommendations_for(&req, &state, id).await
}

/// A user's predicted rating of a movie (the user themself or an admin).
#[utoipa::path(
    tag = "recommendations",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1), ("movie_id" = i32, Path, minimum = 1)),
    responses(
        (status = 200, body = Prediction),
        Unauthorized, Forbidden, NotFound, Unavailable,
    )
)]
#[get("/users/{id}/predictions/{movie_id}")]
pub async fn prediction(
    path: web::Path<(String, String)>,
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Prediction>, ApiError> {
    let id = accessible_user(&path.0, &user, &state).await?;
    let movie_id = parse_id(&path.1, "movie_id")?;
    Ok(web::Json(
        state.recommender.predict(id, movie_id).await?.into(),
    ))
}

/// The non-personalised chart (damped mean rating) for visitors.
#[utoipa::path(
    tag = "recommendations",
    params(
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "1–100 (default 10)"),
        ("genre" = Option<String>, Query, description = "Only this genre"),
    ),
    responses(
        (status = 200, body = RecommendationList),
        Unprocessable, Unavailable,
    )
)]
#[get("/recommendations/popular")]
pub async fn popular(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut params = QueryParams::from_request(&req);
    let limit = params.limit()?;
    let genre = genre_param(&mut params, &state);
    params.finish()?;
    RecommendationList::respond(&state.recommender.popular(limit, genre).await?)
}

/// Movies similar to this one.
#[utoipa::path(
    tag = "recommendations",
    params(("id" = i32, Path, minimum = 1), ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "1–100 (default 10)")),
    responses(
        (status = 200, body = SimilarList),
        NotFound, Unprocessable, Unavailable,
    )
)]
#[get("/movies/{id}/similar")]
pub async fn similar(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<web::Json<SimilarList>, ApiError> {
    let id = parse_id(&path, "id")?;
    let mut params = QueryParams::from_request(&req);
    let limit = params.limit()?;
    params.finish()?;
    let list = state.recommender.similar(id, limit).await?;
    Ok(web::Json(list.into()))
}

/// The serving model: version, age, sizes, training time, metrics.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ModelInfo),
        Unauthorized, Forbidden, Unavailable,
    )
)]
#[get("/admin/model")]
pub async fn model_info(
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<ModelInfo>, ApiError> {
    Ok(web::Json(state.recommender.info()?.into()))
}

/// Answer to a retrain request.
#[derive(Serialize, ToSchema)]
pub struct RetrainAccepted {
    /// `training` (started, here or by the worker) or `queued` (after the
    /// running one).
    pub status: &'static str,
}

/// Retrain in the background (here, or on the worker when this instance
/// serves published models); the current model serves until the new one
/// is ready.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 202, body = RetrainAccepted),
        Unauthorized, Forbidden,
        (status = 503, description = "The database is unavailable", body = ErrorEnvelope),
    )
)]
#[post("/admin/model/retrain")]
pub async fn retrain(
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = if state.recommender.ask_for_retrain().await? {
        "training"
    } else {
        "queued"
    };
    Ok(HttpResponse::Accepted().json(RetrainAccepted { status }))
}
