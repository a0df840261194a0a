//! Browser sessions: the JWT in an HttpOnly, SameSite=Strict cookie and a
//! CSRF token, bound to the session, for cookie-authenticated writes.

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};

/// The browser's view of a session: the two cookies as a `Cookie` header
/// value, and the CSRF token the page's script would echo.
struct Session {
    cookie: String,
    csrf: String,
    set_cookies: Vec<String>,
    body: Value,
}

fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// `name=value` of the Set-Cookie line for `name`.
fn cookie_pair<'a>(lines: &'a [String], name: &str) -> &'a str {
    lines
        .iter()
        .find(|line| line.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no Set-Cookie for {name} in {lines:?}"))
        .split(';')
        .next()
        .unwrap()
}

async fn start_session(app: &TestApp, path: &str, body: Value, expected: StatusCode) -> Session {
    start_named_session(app, path, body, expected, "").await
}

/// Like [`start_session`] for cookies named with `prefix` (`__Host-` in production).
async fn start_named_session(
    app: &TestApp,
    path: &str,
    body: Value,
    expected: StatusCode,
    prefix: &str,
) -> Session {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), expected);
    let lines = set_cookies(response.headers());
    let body: Value = response.json().await.unwrap();
    let session = cookie_pair(&lines, &format!("{prefix}cinerank_session")).to_owned();
    let csrf = cookie_pair(&lines, &format!("{prefix}cinerank_csrf")).to_owned();
    Session {
        cookie: format!("{session}; {csrf}"),
        csrf: csrf
            .trim_start_matches(&format!("{prefix}cinerank_csrf="))
            .to_owned(),
        set_cookies: lines,
        body,
    }
}

async fn sign_up(app: &TestApp, username: &str) -> Session {
    start_session(
        app,
        "/api/v1/auth/session/register",
        json!({"username": username, "email": format!("{username}@example.org"),
               "password": "correct horse battery", "preferred_genres": ["Drama"]}),
        StatusCode::CREATED,
    )
    .await
}

impl TestApp {
    async fn with_cookie(
        &self,
        method: Method,
        path: &str,
        cookie: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address))
            .header("cookie", cookie);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }
}

#[tokio::test]
async fn signing_up_sets_an_httponly_strict_session_cookie_and_no_token_in_the_body() {
    let app = spawn_app().await;
    let session = sign_up(&app, "cookie_fan").await;
    let line = |name: &str| {
        session
            .set_cookies
            .iter()
            .find(|l| l.starts_with(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    let token_cookie = line("cinerank_session");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(token_cookie.contains(attribute), "{token_cookie}");
    }
    assert!(
        !token_cookie.contains("Secure"),
        "development serves plain http"
    );
    let csrf_cookie = line("cinerank_csrf");
    assert!(csrf_cookie.contains("SameSite=Strict"), "{csrf_cookie}");
    assert!(
        !csrf_cookie.contains("HttpOnly"),
        "the page's script reads it"
    );
    assert_eq!(session.csrf.len(), 43, "an HMAC-SHA256, base64url");
    assert_eq!(session.body["csrf_token"], session.csrf.as_str());
    assert_eq!(session.body["user"]["username"], "cookie_fan");
    assert_eq!(session.body["user"]["preferred_genres"], json!(["Drama"]));
    assert!(
        session.body.get("access_token").is_none(),
        "{}",
        session.body
    );

    // The cookie alone authenticates reads.
    let response = app
        .with_cookie(Method::GET, "/api/v1/users/me", &session.cookie, None, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], "cookie_fan");
}

#[tokio::test]
async fn cookie_writes_need_the_matching_csrf_header() {
    let app = spawn_app().await;
    let session = sign_up(&app, "careful").await;
    let movie = app.movie_id("Heat").await;
    let path = format!("/api/v1/movies/{movie}/rating");
    let rating = Some(json!({"rating": 4.5}));
    let (_, before) = app.get_json(&format!("/api/v1/movies/{movie}")).await;

    let response = app
        .with_cookie(Method::PUT, &path, &session.cookie, None, rating.clone())
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;
    let response = app
        .with_cookie(
            Method::PUT,
            &path,
            &session.cookie,
            Some("0".repeat(64).as_str()),
            rating.clone(),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;
    // A cookie/header pair of the attacker's choosing proves nothing either.
    let only_session = session.cookie.split(';').next().unwrap().to_owned();
    let response = app
        .with_cookie(
            Method::PUT,
            &path,
            &format!("{only_session}; cinerank_csrf=chosen"),
            Some("chosen"),
            rating.clone(),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;
    let (_, details) = app.get_json(&format!("/api/v1/movies/{movie}")).await;
    assert_eq!(
        details["rating_count"], before["rating_count"],
        "nothing was written: {details}"
    );

    let response = app
        .with_cookie(
            Method::PUT,
            &path,
            &session.cookie,
            Some(&session.csrf),
            rating,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .with_cookie(
            Method::GET,
            &format!("/api/v1/movies/{movie}"),
            &session.cookie,
            None,
            None,
        )
        .await;
    let details: Value = response.json().await.unwrap();
    assert_eq!(details["my_rating"], 4.5);
}

#[tokio::test]
async fn bearer_clients_need_no_csrf_token_and_a_bearer_header_wins_over_cookies() {
    let app = spawn_app().await;
    let cookie_user = sign_up(&app, "browser_user").await;
    let api_user = app.register("api_user", &["Comedy"]).await;
    let movie = app.movie_id("Alien").await;
    let response = app
        .client
        .put(format!("{}/api/v1/movies/{movie}/rating", app.address))
        .bearer_auth(&api_user.token)
        .header("cookie", &cookie_user.cookie)
        .json(&json!({"rating": 3.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, me) = app
        .call(Method::GET, "/api/v1/users/me", Some(&api_user.token), None)
        .await;
    assert_eq!(me["rating_count"], 1);
    let response = app
        .with_cookie(
            Method::GET,
            "/api/v1/users/me",
            &cookie_user.cookie,
            None,
            None,
        )
        .await;
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["rating_count"], 0);
}

#[tokio::test]
async fn signing_in_and_out_sets_and_clears_both_cookies() {
    let app = spawn_app().await;
    sign_up(&app, "returning").await;
    let session = start_session(
        &app,
        "/api/v1/auth/session",
        json!({"login": "Returning", "password": "correct horse battery"}),
        StatusCode::OK,
    )
    .await;
    assert_eq!(session.body["user"]["username"], "returning");
    let response = app
        .client
        .post(format!("{}/api/v1/auth/session", app.address))
        .json(&json!({"login": "returning", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert!(set_cookies(response.headers()).is_empty());
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let response = app
        .with_cookie(
            Method::DELETE,
            "/api/v1/auth/session",
            &session.cookie,
            Some(&session.csrf),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let lines = set_cookies(response.headers());
    for name in ["cinerank_session", "cinerank_csrf"] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{name}=;")))
            .unwrap_or_else(|| panic!("{name} not cleared: {lines:?}"));
        assert!(line.contains("Max-Age=0"), "{line}");
    }
    // A forged or expired session cookie is a 401, like a bad bearer token.
    let response = app
        .with_cookie(
            Method::GET,
            "/api/v1/users/me",
            "cinerank_session=not-a-token",
            None,
            None,
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn production_session_cookies_are_secure_host_prefixed_and_hsts_is_sent() {
    let secret = "p".repeat(48);
    let app = crate::helpers::spawn_app_with(
        Some(crate::helpers::fixture_dir()),
        &[("APP_ENV", "production"), ("JWT_SECRET", &secret)],
    )
    .await;
    let session = start_named_session(
        &app,
        "/api/v1/auth/session/register",
        json!({"username": "deployed", "email": "deployed@example.org",
               "password": "correct horse battery"}),
        StatusCode::CREATED,
        "__Host-",
    )
    .await;
    assert!(
        session.set_cookies.iter().all(|l| l.starts_with("__Host-")
            && l.contains("; Secure")
            && l.contains("Path=/")
            && !l.contains("Domain")),
        "{:?}",
        session.set_cookies
    );
    // The prefixed cookie is the one that authenticates; the plain name is ignored.
    let response = app
        .with_cookie(Method::GET, "/api/v1/users/me", &session.cookie, None, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let plain = session.cookie.replace("__Host-", "");
    let response = app
        .with_cookie(Method::GET, "/api/v1/users/me", &plain, None, None)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app
        .with_cookie(
            Method::POST,
            "/api/v1/auth/logout-all",
            &session.cookie,
            Some(&session.csrf),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let health = app.request(Method::GET, "/health").await;
    let hsts = health.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");

    let development = spawn_app().await;
    let health = development.request(Method::GET, "/health").await;
    assert!(
        health.headers().get("strict-transport-security").is_none(),
        "development serves plain http"
    );
}

#[tokio::test]
async fn csrf_tokens_are_bound_to_their_session() {
    let app = spawn_app().await;
    let alice = sign_up(&app, "alice_csrf").await;
    let mallory = sign_up(&app, "mallory_csrf").await;
    let movie = app.movie_id("Heat").await;
    let path = format!("/api/v1/movies/{movie}/rating");
    let rating = Some(json!({"rating": 2.0}));
    // Mallory's own, valid CSRF token (cookie and header) on Alice's session.
    let alice_session = alice.cookie.split(';').next().unwrap();
    let planted = format!("{alice_session}; cinerank_csrf={}", mallory.csrf);
    let response = app
        .with_cookie(
            Method::PUT,
            &path,
            &planted,
            Some(&mallory.csrf),
            rating.clone(),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;
    let response = app
        .with_cookie(Method::PUT, &path, &alice.cookie, Some(&alice.csrf), rating)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_token_and_browser_session() {
    let app = spawn_app().await;
    let browser = sign_up(&app, "everywhere").await;
    let first = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "everywhere", "password": "correct horse battery"})),
        )
        .await
        .1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "everywhere", "password": "correct horse battery"})),
        )
        .await
        .1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send(Method::POST, "/api/v1/auth/logout-all", None, None)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // A cookie session must pass the CSRF check to sign out everywhere.
    let response = app
        .with_cookie(
            Method::POST,
            "/api/v1/auth/logout-all",
            &browser.cookie,
            None,
            None,
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;

    let response = app
        .send(Method::POST, "/api/v1/auth/logout-all", Some(&first), None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared = set_cookies(response.headers());
    assert!(
        cleared.iter().any(|l| l.starts_with("cinerank_session=;")),
        "{cleared:?}"
    );
    for token in [&first, &second] {
        let response = app
            .send(Method::GET, "/api/v1/users/me", Some(token), None)
            .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = app
        .with_cookie(Method::GET, "/api/v1/users/me", &browser.cookie, None, None)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Signing in again works, with a token of the new version.
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "everywhere", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/users/me",
            body["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_csrf_header_is_allowed_cross_origin_for_configured_origins() {
    let app = crate::helpers::spawn_app_with(
        Some(crate::helpers::fixture_dir()),
        &[("CORS_ALLOWED_ORIGINS", "https://app.example")],
    )
    .await;
    let response = app
        .client
        .request(
            Method::OPTIONS,
            format!("{}/api/v1/cart/items", app.address),
        )
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-csrf-token")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-csrf-token"), "{allowed}");
}
