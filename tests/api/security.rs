//! Browser-facing protections: security headers and CORS.

use reqwest::{Method, StatusCode};

use crate::helpers::{fixture_dir, spawn_app, spawn_app_with};

#[tokio::test]
async fn json_responses_carry_security_headers() {
    let app = spawn_app().await;
    for path in ["/api/v1/movies", "/api/v1/nope"] {
        let response = app.send(Method::GET, path, None, None).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
    }
}

async fn preflight(app: &crate::helpers::TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(
            Method::OPTIONS,
            format!("{}/api/v1/movies/1/rating", app.address),
        )
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn nothing_is_allowed_cross_origin_by_default() {
    let app = spawn_app().await;
    let response = preflight(&app, "https://evil.example").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let response = app
        .client
        .get(format!("{}/api/v1/movies", app.address))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn configured_origins_are_allowed_and_others_are_not() {
    let app = spawn_app_with(
        Some(fixture_dir()),
        &[("CORS_ALLOWED_ORIGINS", "https://app.example")],
    )
    .await;
    let response = preflight(&app, "https://app.example").await;
    assert!(response.status().is_success());
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("PUT"), "{methods}");
    let response = app
        .client
        .get(format!("{}/api/v1/movies", app.address))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let response = preflight(&app, "https://other.example").await;
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
