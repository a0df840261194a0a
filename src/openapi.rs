//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::App;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::ErrorEnvelope;
use crate::recommender::Strategy;
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
    components(schemas(ErrorEnvelope, MovieSort, Strategy)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health, readiness, documentation"),
        (name = "catalogue", description = "Movies and genres"),
        (name = "accounts", description = "Registration, login, profile"),
        (name = "ratings", description = "Ratings, watchlist, not interested"),
        (name = "recommendations", description = "Personal recommendations, predictions, similar movies"),
        (name = "store", description = "Cart and orders over the catalogue"),
        (name = "admin", description = "Administration"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme (JWT in `Authorization`) and the
/// browser alternative, the `session` cookie.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "cinerank_session",
                "Set by POST /api/v1/auth/session; accepted wherever `bearer` is, when no \
                 Authorization header is sent. Requests other than GET, HEAD and OPTIONS must \
                 also send `X-CSRF-Token` equal to the `cinerank_csrf` cookie (else 403 `csrf_failed`).",
            ))),
        );
    }
}

/// The complete document for every registered route.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    document_error_envelope(&mut api);
    api
}

/// Every operation can fail in ways its own annotations do not list (405,
/// 413, 415, 500, 503, …): a `default` response documents the envelope they
/// all share.
fn document_error_envelope(api: &mut utoipa::openapi::OpenApi) {
    let envelope = ResponseBuilder::new()
        .description("Any other error, with the JSON error envelope")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                .build(),
        )
        .build();
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(|| RefOr::T(envelope.clone()));
        }
    }
}
