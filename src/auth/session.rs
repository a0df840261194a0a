//! Browser sessions: the JWT travels in an `HttpOnly; SameSite=Strict`
//! cookie instead of script-readable storage, and state-changing requests
//! authenticated by that cookie must echo a second, script-readable cookie
//! in `X-CSRF-Token` (double submit). Bearer-token clients never see any of
//! this: a request with an `Authorization` header ignores the cookies.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{AppEnv, Settings};
use crate::error::ApiError;
use crate::routes::views::accounts::{AuthResponse, UserProfile};

/// The cookie holding the JWT (`HttpOnly`: scripts cannot read it).
pub const SESSION_COOKIE: &str = "cinerank_session";
/// The double-submit CSRF cookie (readable by the page's own script).
pub const CSRF_COOKIE: &str = "cinerank_csrf";
/// The header a cookie-authenticated write must carry, equal to [`CSRF_COOKIE`].
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Answer to signing in or up through a session: the token itself stays in
/// the cookie, out of reach of scripts.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// The account.
    pub user: UserProfile,
    /// Seconds until the session (and its cookies) expire.
    pub expires_in: u64,
    /// The CSRF token, also set as the `cinerank_csrf` cookie; send it as
    /// `X-CSRF-Token` on every request that is not GET, HEAD or OPTIONS.
    pub csrf_token: String,
}

/// The value of cookie `name`, if the request carries a non-empty one.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Compares without stopping at the first difference, so response timing
/// does not reveal how much of a guessed token was right.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// For a cookie-authenticated request: safe methods pass; anything else
/// needs `X-CSRF-Token` equal to the CSRF cookie. A cross-site page can make
/// the browser send cookies (older browsers, same-site subdomains) but can
/// neither read the cookie nor set the header.
pub fn check_csrf(req: &HttpRequest) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let expected = cookie(req, CSRF_COOKIE);
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok());
    match (expected, sent) {
        (Some(expected), Some(sent)) if same_token(&expected, sent.trim()) => Ok(()),
        _ => Err(ApiError::CsrfFailed),
    }
}

/// 32 random bytes, hex-encoded.
fn new_csrf_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn set_cookie(name: &str, value: &str, max_age: u64, http_only: bool, secure: bool) -> String {
    let mut cookie = format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    // Development runs on plain http://127.0.0.1, where browsers drop
    // `Secure` cookies; production is served over HTTPS.
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The signed-in response: both cookies set for the token's lifetime.
pub fn start(
    settings: &Settings,
    status: StatusCode,
    auth: AuthResponse,
) -> Result<HttpResponse, ApiError> {
    let secure = settings.app_env == AppEnv::Production;
    let csrf_token = new_csrf_token()?;
    let lifetime = auth.expires_in;
    Ok(HttpResponse::build(status)
        .append_header((
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, &auth.access_token, lifetime, true, secure),
        ))
        .append_header((
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &csrf_token, lifetime, false, secure),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(SessionResponse {
            user: auth.user,
            expires_in: lifetime,
            csrf_token,
        }))
}

/// The signed-out response: both cookies expired.
pub fn end(settings: &Settings) -> HttpResponse {
    let secure = settings.app_env == AppEnv::Production;
    HttpResponse::NoContent()
        .append_header((
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, "", 0, true, secure),
        ))
        .append_header((
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, "", 0, false, secure),
        ))
        .finish()
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name_among_several() {
        let req = TestRequest::default()
            .insert_header((
                header::COOKIE,
                "a=1; cinerank_session=tok; x_cinerank_csrf=no",
            ))
            .to_http_request();
        assert_eq!(cookie(&req, SESSION_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&req, CSRF_COOKIE), None);
        let empty = TestRequest::default()
            .insert_header((header::COOKIE, "cinerank_session="))
            .to_http_request();
        assert_eq!(cookie(&empty, SESSION_COOKIE), None);
    }

    #[test]
    fn writes_need_the_header_to_match_the_cookie_and_reads_do_not() {
        let with = |method: Method, header_value: Option<&str>| {
            let mut req = TestRequest::default()
                .method(method)
                .insert_header((header::COOKIE, "cinerank_csrf=abc123"));
            if let Some(value) = header_value {
                req = req.insert_header((CSRF_HEADER, value));
            }
            check_csrf(&req.to_http_request()).is_ok()
        };
        assert!(with(Method::GET, None));
        assert!(with(Method::PUT, Some("abc123")));
        assert!(!with(Method::PUT, None));
        assert!(!with(Method::DELETE, Some("abc124")));
        assert!(!with(Method::POST, Some("abc12")));
        let no_cookie = TestRequest::default()
            .method(Method::POST)
            .insert_header((CSRF_HEADER, "abc123"))
            .to_http_request();
        assert!(check_csrf(&no_cookie).is_err());
    }
}
