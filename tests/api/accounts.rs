//! Registration, login, the caller's profile, and token handling.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TEST_JWT_SECRET, assert_error, mint_token, spawn_app};

fn registration(username: &str, email: &str, password: &str) -> serde_json::Value {
    json!({"username": username, "email": email, "password": password})
}

#[tokio::test]
async fn registering_returns_the_user_and_a_working_token() {
    let app = spawn_app().await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "  Ada_L ", "email": " Ada@Example.ORG ", "password": "correct horse battery",
                        "preferred_genres": ["drama", "Science Fiction"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert_eq!(body["user"]["username"], "Ada_L");
    assert_eq!(body["user"]["email"], "ada@example.org");
    assert_eq!(body["user"]["role"], "user");
    assert_eq!(
        body["user"]["preferred_genres"],
        json!(["Drama", "Science Fiction"])
    );
    assert!(body["user"].get("password").is_none() && body["user"].get("password_hash").is_none());
    let token = body["access_token"].as_str().unwrap();

    let (status, me) = app
        .call(Method::GET, "/api/v1/users/me", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], body["user"]["id"]);
    assert_eq!(me["rating_count"], 0);
    assert!(
        me["created_at"].as_str().unwrap().ends_with('Z')
            || me["created_at"].as_str().unwrap().contains("+00:00")
    );
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = spawn_app().await;
    app.register("grace", &[]).await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(registration("GRACE", "other@example.org", "long enough pw")),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "username_taken").await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(registration(
                "hopper",
                "Grace@Example.org",
                "long enough pw",
            )),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "email_taken").await;
}

#[tokio::test]
async fn concurrent_registrations_of_one_name_create_one_account() {
    let app = spawn_app().await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            app.spawn_request(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(registration(
                    "racer",
                    &format!("racer{i}@example.org"),
                    "long enough pw",
                )),
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn invalid_registrations_name_the_fields() {
    let app = spawn_app().await;
    let cases = [
        (
            registration("ok_name", "ok@example.org", "short"),
            "password",
        ),
        (
            registration("ok_name", "ok@example.org", &"x".repeat(129)),
            "password",
        ),
        (
            registration("ok_name", "not-an-email", "long enough pw"),
            "email",
        ),
        (
            registration("x", "ok@example.org", "long enough pw"),
            "username",
        ),
        (
            registration("bad name!", "ok@example.org", "long enough pw"),
            "username",
        ),
        (
            json!({"username": "ok_name", "email": "ok@example.org", "password": "long enough pw", "preferred_genres": ["Polka"]}),
            "preferred_genres",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .send(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(body.clone()),
            )
            .await;
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            error["error"]["details"][field].is_array(),
            "{body}: {error}"
        );
    }
    for body in [
        json!({"username": "ok_name", "email": "ok@example.org", "password": "long enough pw", "admin": true}),
        json!({"username": "ok_name", "email": "ok@example.org"}),
        json!({"username": 7, "email": "ok@example.org", "password": "long enough pw"}),
    ] {
        let response = app
            .send(Method::POST, "/api/v1/auth/register", None, Some(body))
            .await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    // Nothing was stored by any of them.
    let response = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "ok_name", "password": "long enough pw"})),
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn login_works_by_username_or_email_in_any_case() {
    let app = spawn_app().await;
    let user = app.register("Linus", &[]).await;
    for login in ["Linus", "linus", "LINUS@example.org"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": login, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
        assert_eq!(body["user"]["id"], user.id);
        assert!(
            body["access_token"]
                .as_str()
                .is_some_and(|t| t.split('.').count() == 3)
        );
    }
}

#[tokio::test]
async fn failed_logins_give_one_message_whether_or_not_the_user_exists() {
    let app = spawn_app().await;
    app.register("margaret", &[]).await;
    let mut messages = Vec::new();
    for body in [
        json!({"login": "margaret", "password": "wrong password"}),
        json!({"login": "nobody_here", "password": "correct horse battery"}),
        json!({"login": "seed_user_1", "password": "anything at all"}),
    ] {
        let response = app
            .send(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await;
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer"
        );
        let error = assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        messages.push(error["error"]["message"].clone());
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");
}

#[tokio::test]
async fn protected_routes_refuse_missing_malformed_tampered_expired_and_foreign_tokens() {
    let app = spawn_app().await;
    let user = app.register("tokens", &[]).await;
    let id = i32::try_from(user.id).unwrap();
    let expired = mint_token(id, "user", Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let foreign = cinerank::auth::jwt::JwtKeys::new(
        b"some-other-secret-of-at-least-32-bytes",
        Duration::from_secs(60),
    )
    .issue(id, cinerank::auth::Role::User, 0)
    .unwrap();
    // Change one character in the middle of the signature (the last one
    // partly encodes padding bits, so it is left alone).
    let mut tampered: Vec<char> = user.token.chars().collect();
    let middle = tampered.len() - 10;
    tampered[middle] = if tampered[middle] == 'x' { 'y' } else { 'x' };
    let tampered: String = tampered.into_iter().collect();
    // Unsigned (alg none) and asymmetric-algorithm headers over valid claims.
    let claims = user.token.split('.').nth(1).unwrap().to_owned();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
    let alg_rs256 = format!("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.{claims}.c2lnbmF0dXJl");

    let response = app.send(Method::GET, "/api/v1/users/me", None, None).await;
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    for token in [
        "not-a-jwt",
        &expired,
        &foreign,
        &tampered,
        &alg_none,
        &alg_rs256,
    ] {
        let response = app
            .send(Method::GET, "/api/v1/users/me", Some(token), None)
            .await;
        assert_eq!(
            response.headers().get("www-authenticate").unwrap(),
            "Bearer",
            "{token}"
        );
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = app
        .client
        .get(format!("{}/api/v1/users/me", app.address))
        .header("authorization", format!("Basic {}", user.token))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // A token for an account that no longer exists is refused too.
    let ghost = mint_token(999_999, "admin", Duration::from_secs(60));
    let response = app
        .send(Method::GET, "/api/v1/users/me", Some(&ghost), None)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(TEST_JWT_SECRET.len() >= 32);
}

#[tokio::test]
async fn the_profile_can_change_genres_email_and_password() {
    let app = spawn_app().await;
    let user = app.register("changer", &["Comedy"]).await;
    let token = Some(user.token.as_str());
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            token,
            Some(
                json!({"preferred_genres": ["Horror", "war"], "email": "New@Example.org",
                        "current_password": "correct horse battery"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["preferred_genres"], json!(["Horror", "War"]));
    assert_eq!(body["email"], "new@example.org");

    for (patch, field) in [
        (
            json!({"password": "brand new password"}),
            "current_password",
        ),
        (
            json!({"password": "brand new password", "current_password": "wrong one!"}),
            "current_password",
        ),
        (
            json!({"password": "tiny", "current_password": "correct horse battery"}),
            "password",
        ),
        (json!({"email": "nope"}), "email"),
        (json!({"preferred_genres": ["Nope"]}), "preferred_genres"),
    ] {
        let response = app
            .send(
                Method::PATCH,
                "/api/v1/users/me",
                token,
                Some(patch.clone()),
            )
            .await;
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            error["error"]["details"][field].is_array(),
            "{patch}: {error}"
        );
    }
    let (status, _) = app
        .call(Method::PATCH, "/api/v1/users/me", token, Some(json!({"password": "brand new password", "current_password": "correct horse battery"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "changer", "password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"login": "new@example.org", "password": "brand new password"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let other = app.register("taken_mail", &[]).await;
    let response = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&other.token),
            Some(json!({"email": "new@example.org", "current_password": "correct horse battery"})),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "email_taken").await;
}

#[tokio::test]
async fn register_and_login_are_rate_limited_per_client() {
    let app = crate::helpers::spawn_app_with(
        Some(crate::helpers::fixture_dir()),
        &[("AUTH_RATE_LIMIT_PER_MIN", "3")],
    )
    .await;
    let attempt = json!({"login": "nobody", "password": "whatever you like"});
    for _ in 0..3 {
        let (status, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(attempt.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let response = app
        .send(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(attempt.clone()),
        )
        .await;
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(registration("late", "late@example.org", "long enough pw")),
        )
        .await;
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // Other routes are not limited.
    let (status, _) = app.call(Method::GET, "/api/v1/movies", None, None).await;
    assert_eq!(status, StatusCode::OK);
}
