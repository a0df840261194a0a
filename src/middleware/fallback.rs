//! What happens to requests no handler takes: 405 with `Allow` when the path
//! exists under another method, 404 otherwise (a browser asking for an
//! unknown page gets the site's own "not found" page); and a last-resort
//! rewrite of any other non-JSON error body into the envelope.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::{ApiError, ErrorBody, ErrorEnvelope};
use crate::state::AppState;

/// The app's default service.
pub async fn not_routed(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let error = match state.routes.allowed_methods(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        // A browser gets the site's own "not found" page.
        None if crate::routes::web::wants_page(&req) => {
            return crate::routes::web::page_not_found(req, state).await;
        }
        None => ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())),
    };
    error.error_response()
}

fn default_code(status: actix_web::http::StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "too_many_requests",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "error",
    }
}

/// `ErrorHandlers` default: leaves JSON error bodies alone and replaces any
/// other error body (actix's plain-text defaults) with the envelope.
pub fn envelope_non_json_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON bodies are envelopes already; HTML is the site's own 404 page
    // (actix's own error bodies are plain text).
    let keep = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if keep {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let message = if status.is_server_error() {
        "internal error".to_owned()
    } else {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned()
    };
    let body = ErrorEnvelope {
        error: ErrorBody {
            code: default_code(status).to_owned(),
            message,
            details: None,
        },
    };
    let (req, mut response) = res.into_parts();
    let json = serde_json::to_string(&body).unwrap_or_default();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let response = response.set_body(BoxBody::new(json));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}
