//! Ratings, the watchlist and "not interested", including aggregates that
//! stay exact under concurrent writers and the privacy rules.

use entity::{movie, rating};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn rating_a_movie_creates_then_changes_it_and_the_movie_shows_it_at_once() {
    let app = spawn_app().await;
    let user = app.register("rater", &[]).await;
    let token = Some(user.token.as_str());
    let id = app.movie_id("Unrated Film").await;
    let path = format!("/api/v1/movies/{id}");
    // Warm the details cache so a stale read would show.
    let (_, before) = app.call(Method::GET, &path, None, None).await;
    assert!(before["avg_rating"].is_null());
    assert!(
        before.get("my_rating").is_none(),
        "no my_rating without a token"
    );
    let (_, mine) = app.call(Method::GET, &path, token, None).await;
    assert!(
        mine["my_rating"].is_null() && mine.get("my_rating").is_some(),
        "{mine}"
    );

    let (status, body) = app
        .call(
            Method::PUT,
            &format!("{path}/rating"),
            token,
            Some(json!({"rating": 4.5})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["movie_id"], id);
    assert_eq!(body["rating"], 4.5);
    assert!(body["rated_at"].is_string());
    let (_, after) = app.call(Method::GET, &path, token, None).await;
    assert_eq!(after["avg_rating"], 4.5);
    assert_eq!(after["rating_count"], 1);
    assert_eq!(after["my_rating"], 4.5);

    let (status, body) = app
        .call(
            Method::PUT,
            &format!("{path}/rating"),
            token,
            Some(json!({"rating": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rating"], 2.0);
    let (_, after) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(after["avg_rating"], 2.0);
    assert_eq!(after["rating_count"], 1);

    let response = app
        .send(Method::DELETE, &format!("{path}/rating"), token, None)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, after) = app.call(Method::GET, &path, token, None).await;
    assert!(after["avg_rating"].is_null());
    assert_eq!(after["rating_count"], 0);
    assert!(after["my_rating"].is_null());
    let response = app
        .send(Method::DELETE, &format!("{path}/rating"), token, None)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn ratings_must_be_half_stars_from_half_to_five() {
    let app = spawn_app().await;
    let user = app.register("picky", &[]).await;
    let token = Some(user.token.as_str());
    let id = app.movie_id("Heat").await;
    let path = format!("/api/v1/movies/{id}/rating");
    for body in [
        json!({"rating": 0}),
        json!({"rating": 5.5}),
        json!({"rating": 3.3}),
        json!({"rating": -1}),
        json!({"rating": "4"}),
        json!({"rating": null}),
        json!({}),
        json!({"rating": 4, "comment": "typo field"}),
    ] {
        let response = app
            .send(Method::PUT, &path, token, Some(body.clone()))
            .await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let response = app
        .send(
            Method::PUT,
            "/api/v1/movies/424242/rating",
            token,
            Some(json!({"rating": 4})),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .send(
            Method::PUT,
            "/api/v1/movies/abc/rating",
            token,
            Some(json!({"rating": 4})),
        )
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_path_parameter").await;
    let response = app
        .send(Method::PUT, &path, None, Some(json!({"rating": 4})))
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.send(Method::DELETE, &path, None, None).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Heat keeps its fixture aggregates.
    let (_, heat) = app
        .call(Method::GET, &format!("/api/v1/movies/{id}"), None, None)
        .await;
    assert_eq!(heat["rating_count"], 4);
    assert_eq!(heat["avg_rating"], 4.0);
}

#[tokio::test]
async fn my_ratings_list_newest_first_with_movie_summaries() {
    let app = spawn_app().await;
    let user = app.register("historian", &[]).await;
    let token = Some(user.token.as_str());
    for (title, value) in [("Heat", 3.0), ("Alien", 4.0), ("Toy Story", 5.0)] {
        let id = app.movie_id(title).await;
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/movies/{id}/rating"),
                token,
                Some(json!({"rating": value})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (status, body) = app
        .call(
            Method::GET,
            "/api/v1/users/me/ratings?per_page=2",
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total_items"], 3);
    assert_eq!(body["total_pages"], 2);
    assert_eq!(body["items"][0]["movie"]["title"], "Toy Story");
    assert_eq!(body["items"][0]["rating"], 5.0);
    assert_eq!(body["items"][1]["movie"]["title"], "Alien");
    assert!(body["items"][0]["movie"]["genres"].is_array());
    let (_, page2) = app
        .call(
            Method::GET,
            "/api/v1/users/me/ratings?per_page=2&page=2",
            token,
            None,
        )
        .await;
    assert_eq!(page2["items"][0]["movie"]["title"], "Heat");
    let (_, me) = app.call(Method::GET, "/api/v1/users/me", token, None).await;
    assert_eq!(me["rating_count"], 3);
    let response = app
        .send(
            Method::GET,
            "/api/v1/users/me/ratings?per_page=0",
            token,
            None,
        )
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn aggregates_stay_exact_under_hundreds_of_concurrent_upserts_and_deletes() {
    let app = spawn_app().await;
    let movie_id = app.movie_id("The Matrix").await;
    let path = format!("/api/v1/movies/{movie_id}/rating");
    let mut users = Vec::new();
    for i in 0..120 {
        users.push(app.create_user(&format!("crowd{i}"), "user").await);
    }
    // Each user rates, re-rates, and every third one deletes: 280 writes,
    // all in flight together against the same movie.
    let mut tasks = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let first = f64::from(1 + (i % 10) as u32) / 2.0;
        let second = f64::from(1 + ((i * 7) % 10) as u32) / 2.0;
        tasks.push(app.spawn_request(
            Method::PUT,
            &path,
            Some(&user.token),
            Some(json!({"rating": first})),
        ));
        tasks.push(app.spawn_request(
            Method::PUT,
            &path,
            Some(&user.token),
            Some(json!({"rating": second})),
        ));
        if i % 3 == 0 {
            tasks.push(app.spawn_request(Method::DELETE, &path, Some(&user.token), None));
        }
    }
    for task in tasks {
        let status = task.await.unwrap();
        // A DELETE that ran before both PUTs finds nothing to delete.
        assert!(
            [
                StatusCode::OK,
                StatusCode::CREATED,
                StatusCode::NO_CONTENT,
                StatusCode::NOT_FOUND
            ]
            .contains(&status),
            "{status}"
        );
    }
    let stored = movie::Entity::find_by_id(i32::try_from(movie_id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let recount: Vec<rating::Model> = rating::Entity::find()
        .filter(rating::Column::MovieId.eq(stored.id))
        .all(&app.db)
        .await
        .unwrap();
    let sum: i64 = recount.iter().map(|r| i64::from(r.half_stars)).sum();
    assert_eq!(stored.rating_count as usize, recount.len());
    assert_eq!(stored.rating_sum, sum);
    assert!((stored.avg_rating - sum as f64 / 2.0 / recount.len() as f64).abs() < 1e-9);
    assert!(recount.len() >= 80, "{} ratings survived", recount.len());
    let (_, details) = app
        .call(
            Method::GET,
            &format!("/api/v1/movies/{movie_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(details["rating_count"], recount.len());
    // The other movies were not touched.
    assert_eq!(
        rating::Entity::find()
            .filter(rating::Column::MovieId.ne(stored.id))
            .count(&app.db)
            .await
            .unwrap(),
        23
    );
}

#[tokio::test]
async fn watchlist_and_not_interested_are_idempotent_sets() {
    let app = spawn_app().await;
    let user = app.register("collector", &[]).await;
    let token = Some(user.token.as_str());
    let heat = app.movie_id("Heat").await;
    let alien = app.movie_id("Alien").await;
    for id in [heat, heat, alien] {
        let response = app
            .send(
                Method::PUT,
                &format!("/api/v1/users/me/watchlist/{id}"),
                token,
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let (status, list) = app
        .call(Method::GET, "/api/v1/users/me/watchlist", token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total_items"], 2);
    assert_eq!(list["items"][0]["movie"]["title"], "Alien");
    assert_eq!(list["items"][1]["movie"]["title"], "Heat");
    assert!(list["items"][0]["added_at"].is_string());
    for _ in 0..2 {
        let response = app
            .send(
                Method::DELETE,
                &format!("/api/v1/users/me/watchlist/{heat}"),
                token,
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let (_, list) = app
        .call(Method::GET, "/api/v1/users/me/watchlist", token, None)
        .await;
    assert_eq!(list["total_items"], 1);

    for _ in 0..2 {
        let response = app
            .send(
                Method::PUT,
                &format!("/api/v1/users/me/not-interested/{heat}"),
                token,
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let dismissed = entity::dismissal::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(dismissed, 1);
    for _ in 0..2 {
        let response = app
            .send(
                Method::DELETE,
                &format!("/api/v1/users/me/not-interested/{heat}"),
                token,
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    assert_eq!(
        entity::dismissal::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );

    for path in [
        "/api/v1/users/me/watchlist/424242",
        "/api/v1/users/me/not-interested/424242",
    ] {
        let response = app.send(Method::PUT, path, token, None).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
        let response = app.send(Method::PUT, path, None, None).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = app
        .send(Method::PUT, "/api/v1/users/me/watchlist/x", token, None)
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_path_parameter").await;
}

#[tokio::test]
async fn users_read_only_their_own_ratings_and_watchlists_and_admins_read_any() {
    let app = spawn_app().await;
    let alice = app.register("alice", &[]).await;
    let bob = app.register("bobby", &[]).await;
    let admin = app.create_user("boss", "admin").await;
    let heat = app.movie_id("Heat").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/movies/{heat}/rating"),
        Some(&alice.token),
        Some(json!({"rating": 4})),
    )
    .await;
    app.send(
        Method::PUT,
        &format!("/api/v1/users/me/watchlist/{heat}"),
        Some(&alice.token),
        None,
    )
    .await;

    for list in ["ratings", "watchlist"] {
        let path = format!("/api/v1/users/{}/{list}", alice.id);
        let (status, own) = app.call(Method::GET, &path, Some(&alice.token), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(own["total_items"], 1);
        let (status, seen) = app.call(Method::GET, &path, Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(seen, own);
        let response = app.send(Method::GET, &path, Some(&bob.token), None).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app.send(Method::GET, &path, None, None).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let response = app
            .send(
                Method::GET,
                &format!("/api/v1/users/424242/{list}"),
                Some(&admin.token),
                None,
            )
            .await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    // Bob's own lists do not show Alice's data.
    let (_, bobs) = app
        .call(
            Method::GET,
            "/api/v1/users/me/ratings",
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(bobs["total_items"], 0);
}
