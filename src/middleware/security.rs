//! Browser-facing protections: CORS from an allow-list (nothing cross-origin
//! by default) and security headers on every response.

use actix_cors::Cors;
use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::HeaderValue;
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, Next};

/// CORS allowing exactly the configured origins.
pub fn cors(allowed_origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .allowed_header("idempotency-key")
        .allowed_header(crate::auth::session::CSRF_HEADER)
        .max_age(3600);
    for origin in allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The interactive docs page loads its own scripts, styles and images.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        frame-ancestors 'none'";

/// Gives `/docs/` a policy that lets Swagger UI run from this origin; must
/// be registered inside [`headers`], which only fills headers not yet set.
pub async fn docs_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_docs = req.path().starts_with("/docs");
    let mut res = next.call(req).await?;
    if is_docs {
        res.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
    }
    Ok(res)
}

/// Headers every response carries. The CSP forbids everything: JSON needs
/// nothing (the docs page sets its own, see [`docs_policy`], and so do the
/// web pages, see `routes::web::PAGE_CSP`). In production, which is served
/// over HTTPS only, `Strict-Transport-Security` tells browsers never to try
/// plain HTTP (where a session cookie could be seen or planted) for two years.
pub fn headers(production: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ));
    if production {
        headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ))
    } else {
        headers
    }
}
