//! Health, readiness and the API documentation.

use reqwest::{Method, StatusCode};

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
    app.wait_until_ready().await;
    let (status, body) = app.get_json("/ready").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readiness_is_503_with_the_envelope_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.expect("close pool");
    let response = app.request(Method::GET, "/ready").await;
    crate::helpers::assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    let response = app.request(Method::GET, "/health").await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_route_and_schema() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api-docs/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    for (path, method) in [
        ("/health", "get"),
        ("/ready", "get"),
        ("/api/v1/movies", "get"),
        ("/api/v1/movies/{id}", "get"),
        ("/api/v1/genres", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    for schema in [
        "MovieSummary",
        "MovieDetails",
        "GenreCount",
        "ErrorEnvelope",
        "MovieSort",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/movies"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for name in [
        "q",
        "genre",
        "year_from",
        "year_to",
        "min_rating",
        "min_votes",
        "sort",
        "order",
        "page",
        "per_page",
    ] {
        assert!(params.contains(&name), "parameter {name} undocumented");
    }
}

#[tokio::test]
async fn the_interactive_docs_page_is_served_without_external_assets() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/docs/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page must not load assets from the internet"
    );
    let response = app.request(Method::GET, "/docs/swagger-ui-bundle.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .request(Method::GET, "/docs/swagger-initializer.js")
        .await;
    let script = response.text().await.expect("js");
    assert!(script.contains("/api-docs/openapi.json"), "{script}");
}
