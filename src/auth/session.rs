//! Browser sessions: the JWT travels in an `HttpOnly; SameSite=Strict`
//! cookie instead of script-readable storage, and state-changing requests
//! authenticated by that cookie must send the session's CSRF token in
//! `X-CSRF-Token`. The CSRF token is derived from the session token with the
//! signing key (see `JwtKeys::csrf_token`), so it is bound to the session: a
//! cookie/header pair chosen by anyone else is refused. It is also set as a
//! second, script-readable cookie for the page. In production both cookies
//! take the `__Host-` prefix (HTTPS only, this host only, path `/`), so a
//! sibling subdomain cannot plant them. Bearer-token clients never see any
//! of this: a request with an `Authorization` header ignores the cookies.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::jwt::JwtKeys;
use crate::config::{AppEnv, Settings};
use crate::error::ApiError;
use crate::routes::views::accounts::{AuthResponse, UserProfile};

/// The cookie holding the JWT (`HttpOnly`: scripts cannot read it).
pub const SESSION_COOKIE: &str = "cinerank_session";
/// The CSRF cookie (readable by the page's own script).
pub const CSRF_COOKIE: &str = "cinerank_csrf";
/// [`SESSION_COOKIE`] in production.
pub const SESSION_COOKIE_HOST: &str = "__Host-cinerank_session";
/// [`CSRF_COOKIE`] in production.
pub const CSRF_COOKIE_HOST: &str = "__Host-cinerank_csrf";
/// The header a cookie-authenticated write must carry: the session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The names of the session and CSRF cookies under these settings:
/// `__Host-` prefixed in production, where everything is served over HTTPS
/// (browsers only accept such cookies with `Secure`).
pub fn cookie_names(settings: &Settings) -> (&'static str, &'static str) {
    if settings.app_env == AppEnv::Production {
        (SESSION_COOKIE_HOST, CSRF_COOKIE_HOST)
    } else {
        (SESSION_COOKIE, CSRF_COOKIE)
    }
}

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
/// needs `X-CSRF-Token` equal to the CSRF token of `session_token`. A
/// cross-site page can make the browser send cookies (older browsers,
/// same-site subdomains) but can neither read the token nor set the header,
/// and a planted cookie does not help: only the signing key makes the token
/// that matches a session.
pub fn check_csrf(req: &HttpRequest, keys: &JwtKeys, session_token: &str) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok());
    let expected = keys
        .csrf_token(session_token)
        .map_err(|_| ApiError::CsrfFailed)?;
    match sent {
        Some(sent) if same_token(&expected, sent.trim()) => Ok(()),
        _ => Err(ApiError::CsrfFailed),
    }
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
    keys: &JwtKeys,
    status: StatusCode,
    auth: AuthResponse,
) -> Result<HttpResponse, ApiError> {
    let secure = settings.app_env == AppEnv::Production;
    let (session_name, csrf_name) = cookie_names(settings);
    let csrf_token = keys
        .csrf_token(&auth.access_token)
        .map_err(ApiError::internal)?;
    let lifetime = auth.expires_in;
    Ok(HttpResponse::build(status)
        .append_header((
            header::SET_COOKIE,
            set_cookie(session_name, &auth.access_token, lifetime, true, secure),
        ))
        .append_header((
            header::SET_COOKIE,
            set_cookie(csrf_name, &csrf_token, lifetime, false, secure),
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
    let (session_name, csrf_name) = cookie_names(settings);
    HttpResponse::NoContent()
        .append_header((
            header::SET_COOKIE,
            set_cookie(session_name, "", 0, true, secure),
        ))
        .append_header((
            header::SET_COOKIE,
            set_cookie(csrf_name, "", 0, false, secure),
        ))
        .finish()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
    fn writes_need_the_token_of_their_own_session_and_reads_do_not() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let session = "the-session-token";
        let token = keys.csrf_token(session).unwrap();
        let with = |method: Method, header_value: Option<&str>| {
            // The CSRF cookie's value does not matter: a planted one is no help.
            let mut req = TestRequest::default()
                .method(method)
                .insert_header((header::COOKIE, "cinerank_csrf=chosen"));
            if let Some(value) = header_value {
                req = req.insert_header((CSRF_HEADER, value));
            }
            check_csrf(&req.to_http_request(), &keys, session).is_ok()
        };
        assert!(with(Method::GET, None));
        assert!(with(Method::PUT, Some(&token)));
        assert!(!with(Method::PUT, None));
        assert!(!with(Method::POST, Some("chosen")), "attacker-chosen pair");
        assert!(!with(Method::DELETE, Some(&token[..token.len() - 1])));
        let other = keys.csrf_token("another-session").unwrap();
        assert!(!with(Method::POST, Some(&other)), "another session's token");
    }
}
