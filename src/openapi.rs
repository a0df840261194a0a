//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::App;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::error::ErrorEnvelope;
use crate::routes;
use crate::services::catalog::MovieSort;

/// Top-level document metadata; paths and schemas come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cinerank",
        description = "Movie catalogue, accounts, ratings and personalised recommendations. \
                       Every non-2xx response carries the error envelope `{\"error\": {\"code\", \"message\", \"details\"?}}`.",
        license(name = "MIT")
    ),
    components(schemas(ErrorEnvelope, MovieSort)),
    tags(
        (name = "operations", description = "Health, readiness, documentation"),
        (name = "catalogue", description = "Movies and genres"),
    )
)]
pub struct ApiDoc;

/// The complete document for every registered route.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    api
}
