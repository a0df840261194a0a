//! Health, readiness and the API documentation.

use reqwest::{Method, StatusCode};

use sea_orm::{ConnectionTrait, DbBackend};

use crate::helpers::{fixture_dir, spawn_app, spawn_app_with};

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
    // Every operation documents the error envelope for the statuses it does not list.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let default =
                &operation["responses"]["default"]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(
                default, "#/components/schemas/ErrorEnvelope",
                "{method} {path}"
            );
        }
    }
    let per_page = doc["paths"]["/api/v1/movies"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "per_page")
        .expect("per_page");
    assert_eq!(per_page["schema"]["maximum"], 100, "{per_page}");
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
    // The page's own scripts may run; nothing from elsewhere.
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'self'") && !csp.contains("default-src 'none'"),
        "{csp}"
    );
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

#[tokio::test]
async fn metrics_expose_requests_by_route_pool_caches_and_the_model() {
    let app = spawn_app().await;
    app.wait_until_ready().await;
    let scrape = || async {
        app.request(Method::GET, "/metrics")
            .await
            .text()
            .await
            .expect("metrics text")
    };
    let series = r#"method="GET",route="/api/v1/movies/{id}",status="200""#;
    let count = |text: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(&format!("cinerank_http_requests_total{{{series}}}")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let before = scrape().await;
    for id in [1, 2, 3] {
        app.get_json(&format!("/api/v1/movies/{id}")).await;
    }
    app.get_json("/api/v1/movies/999999").await;
    let after = scrape().await;
    assert_eq!(count(&after), count(&before) + 3, "{after}");
    assert!(
        after.contains(&format!(
            "cinerank_http_request_duration_seconds_bucket{{{series},le=\"+Inf\"}} 3"
        )),
        "{after}"
    );
    assert!(after.contains(&format!(
        "cinerank_http_request_duration_seconds_count{{{series}}} 3"
    )));
    assert!(
        after.contains(r#"route="/api/v1/movies/{id}",status="404""#),
        "404s are counted by pattern"
    );
    assert!(
        !after.contains("/api/v1/movies/999999"),
        "raw paths never become labels"
    );
    for name in [
        "# TYPE cinerank_http_request_duration_seconds histogram",
        "# TYPE cinerank_http_requests_total counter",
        "cinerank_http_requests_in_flight ",
        "cinerank_db_pool_connections{state=\"idle\"}",
        "cinerank_db_pool_max_connections 10",
        "cinerank_cache_hits_total{cache=\"movie_details\"}",
        "cinerank_cache_misses_total{cache=\"recommendations\"}",
        "cinerank_model_ready 1",
        "cinerank_model_info{version=",
        "cinerank_model_age_seconds ",
        "cinerank_model_training_seconds ",
    ] {
        assert!(after.contains(name), "missing {name}:\n{after}");
    }
    let response = app.request(Method::GET, "/metrics").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_sane_one_is_propagated() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/health").await;
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 16, "{generated}");
    let response = app
        .client
        .get(format!("{}/api/v1/nope", app.address))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let response = app
        .client
        .get(format!("{}/health", app.address))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn the_trainers_bulk_read_outlasts_the_request_statement_timeout() {
    // At the 25M shape, streaming every rating takes longer than the
    // statement timeout that bounds request queries; the trainer reads
    // through `begin_bulk_read`, which lifts it for its own transaction only.
    let app = spawn_app_with(Some(fixture_dir()), &[("DB_STATEMENT_TIMEOUT_MS", "200")]).await;
    let slow = "SELECT 1 FROM (SELECT pg_sleep(0.5)) AS slept";
    let read = cinerank::db::begin_bulk_read(&app.db)
        .await
        .expect("a bulk read starts");
    if app.db.get_database_backend() == DbBackend::Postgres {
        read.execute_unprepared(slow)
            .await
            .expect("no statement timeout inside the bulk read");
        read.commit().await.expect("commit");
        let outside = app.db.execute_unprepared(slow).await;
        assert!(
            outside.is_err(),
            "request queries keep their statement timeout"
        );
    } else {
        read.execute_unprepared("SELECT count(*) FROM ratings")
            .await
            .expect("an SQLite read transaction");
        read.commit().await.expect("commit");
    }
    // The first model was trained through it: the service becomes ready.
    app.wait_until_ready().await;
}
