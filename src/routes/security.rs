//! Browser-facing protections: CORS from an allow-list (nothing cross-origin
//! by default) and security headers on every response.

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::middleware::DefaultHeaders;

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
        .max_age(3600);
    for origin in allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Headers every response carries. The CSP forbids everything: JSON needs
/// nothing, and the docs page overrides it for itself.
pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
}
