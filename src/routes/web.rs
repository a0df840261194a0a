//! The web front end: one HTML shell for every page path and the static
//! files under `/assets/`, all compiled into the binary from `web/` (no
//! build step, nothing to deploy next to it). The pages are not API
//! operations, so they stay out of the OpenAPI document; unknown paths,
//! `/api/…` included, still reach the JSON 404/405 fallback.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::error::ApiError;
use crate::state::AppState;

/// The pages' policy: scripts, styles and API calls from this origin only,
/// no inline script or style; posters may come from any HTTPS host.
pub const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data: https:; script-src 'self'; \
                            style-src 'self'; connect-src 'self'; frame-ancestors 'none'; \
                            base-uri 'none'; form-action 'self'";

/// Client-side routes (History API paths) answered with the shell; the
/// script picks the page from the location.
pub const PAGES: &[&str] = &[
    "/",
    "/browse",
    "/movies/{id:[0-9]{1,10}}",
    "/people/{id:[0-9]{1,10}}",
    "/signup",
    "/signin",
    "/account",
    "/me/ratings",
    "/me/not-interested",
    "/watchlist",
    "/cart",
    "/orders",
    "/admin",
];

const SHELL: &str = include_str!("../../web/index.html");

/// Where the shell names the store currency (formatting prices needs it
/// before any cart exists).
const CURRENCY_SLOT: &str = "{{currency}}";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// An [`Asset`] for `web/$name`.
macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../web/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("i18n.js", JS),
    asset!("pages.js", JS),
    asset!("widgets.js", JS),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", SVG),
];

/// Asset URLs carry no content hash (there is no build step to add one), so
/// browsers revalidate every time and the ETag turns that into a 304.
const CACHE_CONTROL: &str = "no-cache";

/// A validator from the content (FNV-1a, 64 bits: not for security, only to
/// notice a change between two builds). Weak, because the compression
/// middleware may re-encode the bytes.
fn etag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("W/\"{hash:016x}\"")
}

static ASSET_ETAGS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|asset| etag(asset.body)).collect());

fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|candidate| candidate.trim() == etag || candidate.trim() == "*")
}

fn respond(
    req: &HttpRequest,
    etag: String,
    content_type: &'static str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    let mut response = if not_modified(req, &etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .body(body)
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// The HTML shell, with its own content security policy (JSON responses
/// keep the deny-everything default).
async fn shell(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // The currency is validated at start-up as three uppercase letters, so
    // it needs no escaping.
    let html = SHELL.replace(CURRENCY_SLOT, &state.settings.store_currency);
    let mut response = respond(
        &req,
        etag(html.as_bytes()),
        "text/html; charset=utf-8",
        html,
    );
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

/// Whether an unrouted request is a browser asking for a page: a GET or
/// HEAD that accepts HTML, outside the API, the docs, the assets and the
/// operations endpoints (those always answer with the JSON envelope).
pub fn wants_page(req: &HttpRequest) -> bool {
    const NOT_PAGES: [&str; 6] = [
        "/api/",
        "/api-docs/",
        "/assets/",
        "/health",
        "/ready",
        "/metrics",
    ];
    let read = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let accepts_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let path = req.path();
    read && accepts_html && !NOT_PAGES.iter().any(|prefix| path.starts_with(prefix))
}

/// A page path the front end does not know (`/nope`, `/movies/abc`): the
/// shell with status 404, so the browser shows the site's own "not found"
/// page instead of a JSON body.
pub async fn page_not_found(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let mut response = shell(req, state).await;
    *response.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    response
}

/// `/docs` without its trailing slash: the Swagger UI lives at `/docs/`.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

/// One file from `web/`, by name.
async fn asset(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let index = ASSETS
        .iter()
        .position(|asset| asset.name == name.as_str())
        .ok_or_else(|| ApiError::not_found("asset"))?;
    let asset = &ASSETS[index];
    let etag = ASSET_ETAGS
        .get(index)
        .cloned()
        .unwrap_or_else(|| etag(asset.body));
    Ok(respond(&req, etag, asset.content_type, asset.body))
}

/// 405 for anything but GET and HEAD on a page or asset path.
async fn read_only() -> HttpResponse {
    ApiError::MethodNotAllowed {
        allow: vec!["GET".to_owned(), "HEAD".to_owned()],
    }
    .error_response()
}

/// Registers the page paths and `/assets/{name}` for GET and HEAD (outside OpenAPI).
pub fn configure(cfg: &mut web::ServiceConfig) {
    // HEAD too, for uptime checks and link checkers (actix sends no body).
    // Other methods get the same 405 envelope as API paths do.
    for page in PAGES {
        cfg.service(
            web::resource(*page)
                .route(web::get().to(shell))
                .route(web::head().to(shell))
                .default_service(web::to(read_only)),
        );
    }
    cfg.service(
        web::resource("/docs")
            .route(web::get().to(docs_redirect))
            .route(web::head().to(docs_redirect))
            .default_service(web::to(read_only)),
    );
    cfg.service(
        web::resource("/assets/{name}")
            .route(web::get().to(asset))
            .route(web::head().to(asset))
            .default_service(web::to(read_only)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_change_with_the_content_and_are_quoted() {
        assert_ne!(etag(b"a"), etag(b"b"));
        assert_eq!(etag(b"a"), etag(b"a"));
        assert!(etag(b"").starts_with("W/\"") && etag(b"").ends_with('"'));
    }

    #[test]
    fn the_shell_loads_only_its_own_module_and_names_the_currency_slot() {
        assert!(SHELL.contains(CURRENCY_SLOT));
        assert!(SHELL.contains(r#"<script type="module" src="/assets/app.js">"#));
        assert!(
            !SHELL.contains("<script>"),
            "no inline script under the CSP"
        );
    }
}
