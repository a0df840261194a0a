//! The outermost middleware: gives every request an id (`X-Request-Id`,
//! propagated when the client sends a sane one), times it, counts it in the
//! metrics by route pattern, and writes one log line per request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use crate::state::AppState;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, in the request extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// A client-supplied id is kept if it is short and plain; otherwise a new one is made.
fn request_id(req: &ServiceRequest) -> String {
    let supplied = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        });
    match supplied {
        Some(id) => id.to_owned(),
        None => {
            let mut bytes = [0u8; 8];
            // Without randomness, a clock-based id still tells requests apart.
            if getrandom::fill(&mut bytes).is_err() {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0);
                bytes = nanos.to_le_bytes();
            }
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// The middleware function (`middleware::from_fn(observe)`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let Some(state) = &state {
        state.metrics.started();
    }
    let result = next.call(req).await;
    let elapsed = started.elapsed();
    let (status, route) = match &result {
        Ok(res) => (
            res.status().as_u16(),
            res.request()
                .match_pattern()
                .unwrap_or_else(|| "<unmatched>".to_owned()),
        ),
        Err(err) => (
            err.as_response_error().status_code().as_u16(),
            "<error>".to_owned(),
        ),
    };
    if let Some(state) = &state {
        state.metrics.finished(&method, &route, status, elapsed);
    }
    let latency_ms = (elapsed.as_secs_f64() * 1e5).round() / 100.0;
    log::info!(
        target: "cinerank::http",
        method = method.as_str(),
        path = path.as_str(),
        status = status,
        latency_ms = latency_ms,
        request_id = id.as_str();
        "{method} {path} {status} {latency_ms}ms id={id}"
    );
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}
