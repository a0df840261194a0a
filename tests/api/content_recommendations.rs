//! "For you" reaches a movie nobody has rated yet: on the seed catalogue, a horror film an
//! admin adds with Wes Craven as director shows in the list of a user who rated his films
//! highly (after the retrain that teaches the model the movie), with a reason naming one of
//! them, and not in the list of a user whose taste it does not match.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, seed_dir, spawn_app_with};

/// The list size a person scrolls through on the "For you" page.
const LIST: usize = 20;

async fn rate(app: &TestApp, user: &TestUser, title: &str, year: i64, stars: f64) -> i64 {
    let (status, body) = app
        .get_json(&format!(
            "/api/v1/movies?q={}&per_page=20",
            title.replace(' ', "%20")
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["title"] == title && m["year"] == year)
        .and_then(|m| m["id"].as_i64())
        .unwrap_or_else(|| panic!("{title} ({year}) in the seed: {body}"));
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/movies/{id}/rating"),
            Some(&user.token),
            Some(json!({ "rating": stars })),
        )
        .await;
    assert!(status.is_success(), "{body}");
    id
}

async fn for_you(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app
        .call(
            Method::GET,
            &format!("/api/v1/users/me/recommendations?limit={LIST}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn a_new_movie_without_ratings_reaches_the_users_whose_taste_it_matches() {
    let app = spawn_app_with(Some(seed_dir()), &[]).await;
    app.wait_until_ready().await;
    let admin = app.create_user("content_admin", "admin").await;
    let fan = app.create_user("craven_fan", "user").await;
    let mut liked = Vec::new();
    for (title, year) in [
        ("Scream", 1996),
        ("Scream 2", 1997),
        ("A Nightmare on Elm Street", 1984),
        ("The Hills Have Eyes", 1977),
        ("Deadly Blessing", 1981),
        ("Red Eye", 2005),
    ] {
        liked.push(rate(&app, &fan, title, year, 5.0).await);
    }
    let other = app.create_user("romcom_fan", "user").await;
    for (title, year) in [
        ("Tootsie", 1982),
        ("Overboard", 1987),
        ("Coming to America", 1988),
        ("Roxanne", 1987),
    ] {
        rate(&app, &other, title, year, 5.0).await;
    }

    let (status, created) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({
                "title": "The Last Nightmare",
                "year": 2026,
                "genres": ["Horror", "Thriller"],
                "overview": "A masked killer stalks the teenagers of a small town through their dreams.",
                "directors": ["Wes Craven"],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let new_id = created["id"].as_i64().expect("id");

    // The model learns the catalogue when it trains: retrain and wait for the new version.
    let (_, before) = app
        .call(Method::GET, "/api/v1/admin/model", Some(&admin.token), None)
        .await;
    app.retrain_and_wait(&admin.token, &before, std::time::Duration::from_secs(120))
        .await;

    let list = for_you(&app, &fan).await;
    let rank = list
        .iter()
        .position(|item| item["movie"]["id"] == new_id)
        .unwrap_or_else(|| {
            let titles: Vec<&Value> = list.iter().map(|i| &i["movie"]["title"]).collect();
            panic!("the new Wes Craven film is in the fan's top {LIST}: {titles:?}")
        });
    let item = &list[rank];
    let reasons = item["reasons"].as_array().expect("reasons");
    // The reason names a film the fan rated that the new one is like.
    assert!(
        reasons.iter().any(|r| r["kind"] == "similar_to"
            && liked.contains(&r["movie_id"].as_i64().unwrap_or_default())
            && r["title"].is_string()),
        "rank {}: {item}",
        rank + 1
    );
    assert!(
        item["predicted_rating"].is_number(),
        "the rating model covers a movie nobody rated: {item}"
    );

    // Nothing ties it to the romantic comedies' fan.
    let list = for_you(&app, &other).await;
    assert!(
        list.iter().all(|item| item["movie"]["id"] != new_id),
        "{list:?}"
    );
}
