//! Every kind of bad request gets the JSON error envelope and the right status.

use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn pagination_out_of_range_is_a_validation_error_naming_the_field() {
    let app = spawn_app().await;
    for (query, field) in [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/movies?{query}"))
            .await;
        let body = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            body["error"]["details"][field].is_array(),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn non_numeric_query_values_are_malformed_requests() {
    let app = spawn_app().await;
    for query in [
        "page=abc",
        "per_page=1.5",
        "year_from=nineties",
        "min_rating=high",
        "min_votes=x",
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/movies?{query}"))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}

#[tokio::test]
async fn unknown_sorts_orders_genres_and_impossible_ranges_are_rejected() {
    let app = spawn_app().await;
    for (query, field) in [
        ("sort=random", "sort"),
        ("order=up", "order"),
        ("genre=Nope", "genre"),
        ("genre=Action,Nope", "genre"),
        ("year_from=2010&year_to=2000", "year_from"),
        ("min_rating=5.5", "min_rating"),
        ("min_votes=-3", "min_votes"),
        ("year_from=99999", "year_from"),
    ] {
        let response = app
            .request(Method::GET, &format!("/api/v1/movies?{query}"))
            .await;
        let body = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            body["error"]["details"][field].is_array(),
            "{query}: {body}"
        );
    }
    let long = "x".repeat(201);
    let response = app
        .request(Method::GET, &format!("/api/v1/movies?q={long}"))
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn bad_movie_ids_are_400_and_missing_movies_404() {
    let app = spawn_app().await;
    for id in ["abc", "0", "-5", "1.5", "99999999999"] {
        let response = app
            .request(Method::GET, &format!("/api/v1/movies/{id}"))
            .await;
        assert_error(response, StatusCode::BAD_REQUEST, "invalid_path_parameter").await;
    }
    let response = app.request(Method::GET, "/api/v1/movies/424242").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405_with_allow() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/api/v1/nothing-here").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.request(Method::GET, "/nope").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;

    for (method, path) in [
        (Method::DELETE, "/health"),
        (Method::POST, "/api/v1/genres"),
        (Method::PUT, "/api/v1/movies/1/"),
    ] {
        let response = app.request(method.clone(), path).await;
        if path.ends_with('/') {
            // A trailing slash is a different path: 404, not 405.
            assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
            continue;
        }
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
        assert!(allow.contains("GET"), "{method} {path}: Allow = {allow}");
    }
    let response = app.request(Method::PUT, "/api/v1/movies/1").await;
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}
