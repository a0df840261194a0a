//! Recommendations end to end: cold start, fold-in of new ratings without a
//! retrain, exclusions, a cache that is never stale, privacy, the public
//! chart, similar movies, predictions and the model's administration.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, fixture_dir, spawn_app, spawn_app_with};

async fn ready_app() -> TestApp {
    let app = spawn_app().await;
    app.wait_until_ready().await;
    app
}

fn item_ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["movie"]["id"].as_i64().expect("id"))
        .collect()
}

async fn recommendations(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/v1/users/me/recommendations?{query}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

#[tokio::test]
async fn a_new_user_gets_their_preferred_genres_first() {
    let app = ready_app().await;
    let user = app.register("newcomer", &["Comedy"]).await;
    let list = recommendations(&app, &user.token, "limit=4").await;
    assert_eq!(list["user_id"], user.id);
    assert_eq!(list["strategy"], "hybrid");
    assert!(
        list["model_version"]
            .as_str()
            .is_some_and(|v| v.contains('#'))
    );
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    let comedies = items
        .iter()
        .filter(|i| {
            i["movie"]["genres"]
                .as_array()
                .unwrap()
                .contains(&json!("Comedy"))
        })
        .count();
    assert!(comedies >= 3, "{list}");
    assert!(
        items[0]["movie"]["genres"]
            .as_array()
            .unwrap()
            .contains(&json!("Comedy")),
        "{list}"
    );
    assert!(
        items
            .iter()
            .all(|i| !i["reasons"].as_array().unwrap().is_empty()),
        "{list}"
    );
    let genre_only = recommendations(&app, &user.token, "strategy=genre&limit=4").await;
    for item in genre_only["items"].as_array().unwrap() {
        assert!(
            item["movie"]["genres"]
                .as_array()
                .unwrap()
                .contains(&json!("Comedy")),
            "{genre_only}"
        );
        assert_eq!(
            item["reasons"][0],
            json!({"kind": "genre", "genre": "Comedy"})
        );
    }
    // Without preferences or ratings: the popular chart, still useful.
    let blank = app.register("blank_slate", &[]).await;
    let list = recommendations(&app, &blank.token, "").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn a_rating_changes_the_next_list_without_a_retrain() {
    let app = ready_app().await;
    let user = app.register("fresh_taste", &["Drama"]).await;
    let before = recommendations(&app, &user.token, "limit=5").await;
    let top = item_ids(&before)[0];
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/movies/{top}/rating"),
            Some(&user.token),
            Some(json!({"rating": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let after = recommendations(&app, &user.token, "limit=5").await;
    assert_eq!(
        after["model_version"], before["model_version"],
        "no retrain happened"
    );
    assert!(
        !item_ids(&after).contains(&top),
        "a rated movie is never recommended: {after}"
    );
    assert_ne!(item_ids(&after), item_ids(&before));
    // The user's rating now explains collaborative picks.
    let collaborative = recommendations(&app, &user.token, "strategy=collaborative&limit=10").await;
    for item in collaborative["items"].as_array().unwrap() {
        for reason in item["reasons"].as_array().unwrap() {
            if reason["kind"] == "similar_to" {
                assert_eq!(reason["movie_id"], top, "{collaborative}");
                assert!(reason["title"].is_string());
            }
        }
    }
}

#[tokio::test]
async fn rated_dismissed_and_excluded_movies_never_appear_in_any_strategy() {
    let app = ready_app().await;
    let user = app.register("excluder", &["Action"]).await;
    let token = Some(user.token.as_str());
    let matrix = app.movie_id("The Matrix").await;
    let heat = app.movie_id("Heat").await;
    let alien = app.movie_id("Alien").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/movies/{matrix}/rating"),
        token,
        Some(json!({"rating": 4.5})),
    )
    .await;
    let response = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/me/not-interested/{heat}"),
            token,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for strategy in ["hybrid", "collaborative", "genre", "popular"] {
        let list = recommendations(
            &app,
            &user.token,
            &format!("strategy={strategy}&limit=100&exclude={alien}"),
        )
        .await;
        let ids: HashSet<i64> = item_ids(&list).into_iter().collect();
        assert_eq!(list["strategy"], strategy);
        for banned in [matrix, heat, alien] {
            assert!(
                !ids.contains(&banned),
                "{strategy} returned {banned}: {list}"
            );
        }
        assert_eq!(ids.len(), 8, "{strategy}: every other movie is a candidate");
    }
    // Undoing "not interested" brings the movie back.
    app.send(
        Method::DELETE,
        &format!("/api/v1/users/me/not-interested/{heat}"),
        token,
        None,
    )
    .await;
    let list = recommendations(&app, &user.token, "limit=100").await;
    assert!(item_ids(&list).contains(&heat));
}

#[tokio::test]
async fn the_cache_never_serves_a_stale_list_after_a_write() {
    let app = ready_app().await;
    let user = app.register("cached", &["Comedy"]).await;
    let token = Some(user.token.as_str());
    let first = recommendations(&app, &user.token, "limit=3").await;
    let again = recommendations(&app, &user.token, "limit=3").await;
    assert_eq!(first, again);
    // Dismissing the top pick: gone at once.
    let top = item_ids(&first)[0];
    app.send(
        Method::PUT,
        &format!("/api/v1/users/me/not-interested/{top}"),
        token,
        None,
    )
    .await;
    let after = recommendations(&app, &user.token, "limit=3").await;
    assert!(!item_ids(&after).contains(&top), "{after}");
    // Changing preferences: the genre list follows at once.
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            token,
            Some(json!({"preferred_genres": ["Horror"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let horror = recommendations(&app, &user.token, "strategy=genre&limit=1").await;
    assert_eq!(horror["items"][0]["movie"]["title"], "Alien", "{horror}");
    // Someone else's rating changes the counts shown, not served from a stale copy.
    let alien = app.movie_id("Alien").await;
    let other = app.register("other_rater", &[]).await;
    app.call(
        Method::PUT,
        &format!("/api/v1/movies/{alien}/rating"),
        Some(&other.token),
        Some(json!({"rating": 1})),
    )
    .await;
    let horror = recommendations(&app, &user.token, "strategy=genre&limit=1").await;
    assert_eq!(horror["items"][0]["movie"]["rating_count"], 5, "{horror}");
}

#[tokio::test]
async fn users_see_only_their_own_recommendations_and_predictions() {
    let app = ready_app().await;
    let alice = app.register("alice_r", &[]).await;
    let bob = app.register("bob_r", &[]).await;
    let admin = app.create_user("admin_r", "admin").await;
    let movie = app.movie_id("Heat").await;
    for path in [
        format!("/api/v1/users/{}/recommendations", alice.id),
        format!("/api/v1/users/{}/predictions/{movie}", alice.id),
    ] {
        let (status, _) = app.call(Method::GET, &path, Some(&alice.token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let (status, _) = app.call(Method::GET, &path, Some(&admin.token), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let response = app.send(Method::GET, &path, Some(&bob.token), None).await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app.send(Method::GET, &path, None, None).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = app
        .send(Method::GET, "/api/v1/users/me/recommendations", None, None)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app
        .send(
            Method::GET,
            "/api/v1/users/424242/recommendations",
            Some(&admin.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn predictions_are_ratings_on_the_scale() {
    let app = ready_app().await;
    let user = app.register("predicted", &[]).await;
    let movie = app.movie_id("Inception").await;
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/v1/users/{}/predictions/{movie}", user.id),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["user_id"], user.id);
    assert_eq!(body["movie_id"], movie);
    let predicted = body["predicted_rating"].as_f64().unwrap();
    assert!((0.5..=5.0).contains(&predicted), "{body}");
    let response = app
        .send(
            Method::GET,
            &format!("/api/v1/users/{}/predictions/424242", user.id),
            Some(&user.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn bad_recommendation_parameters_are_rejected() {
    let app = ready_app().await;
    let user = app.register("param_checker", &[]).await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("strategy=random", "strategy"),
        ("genre=Polka", "genre"),
        ("exclude=1,abc", "exclude"),
        ("exclude=-4", "exclude"),
    ] {
        let response = app
            .send(
                Method::GET,
                &format!("/api/v1/users/me/recommendations?{query}"),
                Some(&user.token),
                None,
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
            "{query}: {error}"
        );
    }
    let response = app
        .send(
            Method::GET,
            "/api/v1/users/me/recommendations?limit=ten",
            Some(&user.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_query").await;
}

#[tokio::test]
async fn visitors_get_the_damped_popular_chart() {
    let app = ready_app().await;
    let (status, chart) = app
        .call(
            Method::GET,
            "/api/v1/recommendations/popular?limit=3",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(chart.get("user_id").is_none());
    assert_eq!(chart["strategy"], "popular");
    let titles: Vec<&str> = chart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["movie"]["title"].as_str().unwrap())
        .collect();
    // O'Brien's Day has one 5-star vote: damping keeps it out of the top.
    assert!(!titles.contains(&"O'Brien's Day"), "{titles:?}");
    assert_eq!(titles[0], "The Matrix", "{titles:?}");
    assert_eq!(chart["items"][0]["reasons"], json!([{"kind": "popular"}]));
    let (_, horror) = app
        .call(
            Method::GET,
            "/api/v1/recommendations/popular?genre=science%20fiction",
            None,
            None,
        )
        .await;
    let items = horror["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| {
        i["movie"]["genres"]
            .as_array()
            .unwrap()
            .contains(&json!("Science Fiction"))
    }));
    let response = app
        .send(
            Method::GET,
            "/api/v1/recommendations/popular?limit=500",
            None,
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
async fn similar_movies_exclude_the_movie_itself() {
    let app = ready_app().await;
    let matrix = app.movie_id("The Matrix").await;
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/v1/movies/{matrix}/similar?limit=5"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ids = item_ids(&body);
    assert!(!ids.is_empty() && ids.len() <= 5, "{body}");
    assert!(!ids.contains(&matrix));
    let scores: Vec<f64> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // A movie nobody rated still gets suggestions from its genres.
    let unrated = app.movie_id("Unrated Film").await;
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/v1/movies/{unrated}/similar"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!item_ids(&body).contains(&unrated));
    assert!(!item_ids(&body).is_empty(), "{body}");
    let response = app
        .send(Method::GET, "/api/v1/movies/424242/similar", None, None)
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn admins_see_the_model_and_retrain_it_in_the_background() {
    let app = ready_app().await;
    let admin = app.create_user("model_admin", "admin").await;
    let user = app.create_user("model_user", "user").await;
    let (status, info) = app
        .call(Method::GET, "/api/v1/admin/model", Some(&admin.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["movies"], 11);
    assert_eq!(info["users"], 5);
    assert_eq!(info["ratings"], 28);
    assert!(info["trained_at"].is_string());
    assert!(info["training_ms"].is_u64());
    let algorithms: Vec<&str> = info["algorithms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for name in ["popular", "item_knn", "ease", "rating_mf"] {
        assert!(algorithms.contains(&name), "{algorithms:?}");
    }
    assert!(
        info["metrics"]["train_rmse"]
            .as_f64()
            .is_some_and(|r| r < 1.5),
        "{info}"
    );

    let response = app
        .send(Method::GET, "/api/v1/admin/model", Some(&user.token), None)
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/admin/model/retrain",
            Some(&user.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    // A rating written now is in the next model's data.
    let movie = app.movie_id("Unrated Film").await;
    app.call(
        Method::PUT,
        &format!("/api/v1/movies/{movie}/rating"),
        Some(&user.token),
        Some(json!({"rating": 3})),
    )
    .await;
    let (accepted, now) = app
        .retrain_and_wait(&admin.token, &info, std::time::Duration::from_secs(30))
        .await;
    assert!(["training", "queued"].contains(&accepted["status"].as_str().unwrap()));
    assert_eq!(now["ratings"], 29);
    assert_eq!(now["users"], 6);
}

#[tokio::test]
async fn readiness_waits_for_the_first_model() {
    let app = spawn_app_with(Some(fixture_dir()), &[("MODEL_TRAIN_ON_START", "false")]).await;
    let response = app.send(Method::GET, "/ready", None, None).await;
    assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    let response = app
        .send(Method::GET, "/api/v1/recommendations/popular", None, None)
        .await;
    assert_eq!(response.headers()["retry-after"], "5");
    assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    // The catalogue works meanwhile.
    let (status, _) = app.call(Method::GET, "/api/v1/movies", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let admin = app.create_user("starter", "admin").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/model/retrain",
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.wait_until_ready().await;
    let (status, _) = app
        .call(Method::GET, "/api/v1/recommendations/popular", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_empty_catalogue_still_trains_and_answers() {
    let app = spawn_app_with(None, &[]).await;
    app.wait_until_ready().await;
    let user = app.register("lonely", &["Drama"]).await;
    let list = recommendations(&app, &user.token, "").await;
    assert_eq!(list["items"], json!([]));
}
