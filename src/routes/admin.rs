//! Administration of accounts and imports, and catalogue-wide rating
//! statistics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use crate::auth::{AdminUser, Authorized};
use crate::error::{ApiError, ErrorEnvelope};
use crate::routes::extract::{PageQuery, page_query, parse_id};
use crate::routes::responses::{Forbidden, NotFound, Unauthorized, Unprocessable};
use crate::routes::views::Page;
use crate::routes::views::accounts::{RoleChangeRequest, UserProfile};
use crate::routes::views::imports::{ImportJobList, ImportJobView, ImportRequest};
use crate::routes::views::ratings::RatingDistribution;
use crate::state::AppState;

/// Every account, oldest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<UserProfile>), Unauthorized, Forbidden)
)]
#[get("/admin/users")]
pub async fn list_users(
    req: HttpRequest,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<UserProfile>>, ApiError> {
    let page = page_query(&req)?;
    Ok(web::Json(state.accounts.list_users(page).await?.into()))
}

/// Change an account's role.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    request_body = RoleChangeRequest,
    responses(
        (status = 200, body = UserProfile),
        Unauthorized, Forbidden, NotFound, Unprocessable,
        (status = 409, description = "Would leave no administrator", body = ErrorEnvelope),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn change_role(
    path: web::Path<String>,
    Authorized(_admin, body): Authorized<AdminUser, web::Json<RoleChangeRequest>>,
    state: web::Data<AppState>,
) -> Result<web::Json<UserProfile>, ApiError> {
    let id = parse_id(&path, "id")?;
    let profile = state.accounts.change_role(id, body.role).await?;
    Ok(web::Json(profile.into()))
}

/// Delete an account with its ratings and lists.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i32, Path, minimum = 1)),
    responses(
        (status = 204),
        Unauthorized, Forbidden, NotFound,
        (status = 409, description = "The last administrator", body = ErrorEnvelope),
    )
)]
#[delete("/admin/users/{id}")]
pub async fn delete_user(
    path: web::Path<String>,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "id")?;
    state.accounts.delete_user(id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Import a MovieLens release folder from the server's `IMPORT_DIR` in the
/// background (all or nothing; the model retrains when it commits). One
/// import runs at a time per instance.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = ImportRequest,
    responses(
        (status = 202, description = "Started; poll the Location", body = ImportJobView),
        Unauthorized, Forbidden,
        (status = 409, description = "`import_running`: another import is running", body = ErrorEnvelope),
        (status = 422, description = "Unknown source, or no such folder under IMPORT_DIR", body = ErrorEnvelope),
    )
)]
#[post("/admin/imports")]
pub async fn start_import(
    Authorized(_admin, body): Authorized<AdminUser, web::Json<ImportRequest>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let job = state.imports.start(
        state.db.clone(),
        state.catalog.genres().clone(),
        body.into_inner().into(),
        state.recommender.after_import(),
    )?;
    let job = ImportJobView::from(job);
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/admin/imports/{}", job.id),
        ))
        .json(job))
}

/// Imports started on this instance, newest first.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = ImportJobList), Unauthorized, Forbidden)
)]
#[get("/admin/imports")]
pub async fn list_imports(
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> web::Json<ImportJobList> {
    web::Json(ImportJobList {
        items: state.imports.list().into_iter().map(Into::into).collect(),
    })
}

/// One import: its phase and progress while running, what it changed or
/// why it failed afterwards.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = u64, Path, minimum = 1)),
    responses((status = 200, body = ImportJobView), Unauthorized, Forbidden, NotFound)
)]
#[get("/admin/imports/{id}")]
pub async fn get_import(
    path: web::Path<String>,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<ImportJobView>, ApiError> {
    let id = parse_id(&path, "id")?;
    let id = u64::try_from(id).map_err(|_| ApiError::not_found("import"))?;
    Ok(web::Json(state.imports.get(id)?.into()))
}

/// How many ratings there are of each value, 0.5 to 5.0 (for the admin
/// page's chart).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = RatingDistribution), Unauthorized, Forbidden)
)]
#[get("/admin/ratings/distribution")]
pub async fn rating_distribution(
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<web::Json<RatingDistribution>, ApiError> {
    Ok(web::Json(state.ratings.distribution().await?.into()))
}
