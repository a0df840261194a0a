//! Title search on the database's own trigram engine: spelling, spacing and
//! punctuation do not matter, one typo is forgiven in longer words, the
//! best match comes first, an edit is searchable at once, and the
//! type-ahead answers with the best few.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, spawn_app, titles};

/// Adds movies as an administrator; returns their ids in order.
async fn add_movies(app: &TestApp, admin: &TestUser, movies: &[(&str, i32)]) -> Vec<i64> {
    let mut ids = Vec::new();
    for (title, year) in movies {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/movies",
                Some(&admin.token),
                Some(json!({"title": title, "year": year, "genres": ["Action"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["id"].as_i64().expect("id"));
    }
    ids
}

async fn rate(app: &TestApp, user: &TestUser, movie_id: i64, rating: f64) {
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/movies/{movie_id}/rating"),
            Some(&user.token),
            Some(json!({ "rating": rating })),
        )
        .await;
    assert!(status.is_success(), "{body}");
}

async fn search(app: &TestApp, q: &str) -> Vec<String> {
    let (status, body) = app
        .get_json(&format!("/api/v1/movies?q={}", urlencoded(q)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    titles(&body)
}

fn urlencoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn spelling_spacing_punctuation_and_one_typo_find_the_title_first() {
    let app = spawn_app().await;
    let admin = app.create_user("search_admin", "admin").await;
    let ids = add_movies(
        &app,
        &admin,
        &[
            ("Spider-Man 2", 2004),
            ("Spider-Man", 2002),
            ("The Lords of Flatbush", 1974),
            ("The Lord of the Rings: The Fellowship of the Ring", 2001),
            ("Spiderwick Chronicles", 2008),
        ],
    )
    .await;
    // The Fellowship is the more rated of the two "the lord…" titles.
    for name in ["searcher_a", "searcher_b"] {
        let user = app.create_user(name, "user").await;
        rate(&app, &user, ids[3], 4.5).await;
    }
    for q in [
        "spiderman",
        "spider man",
        "Spider-Man",
        "SPIDER-MAN",
        "spidermn",
    ] {
        let found = search(&app, q).await;
        assert_eq!(
            found.first().map(String::as_str),
            Some("Spider-Man"),
            "{q}: {found:?}"
        );
        assert!(found.contains(&"Spider-Man 2".to_owned()), "{q}: {found:?}");
        assert!(
            !found.contains(&"Spiderwick Chronicles".to_owned()),
            "{q}: {found:?}"
        );
    }
    assert_eq!(
        search(&app, "the lord").await,
        [
            "The Lord of the Rings: The Fellowship of the Ring",
            "The Lords of Flatbush"
        ]
    );
    assert_eq!(
        search(&app, "fellowship ring").await,
        ["The Lord of the Rings: The Fellowship of the Ring"],
        "every word, in any order"
    );
    assert_eq!(
        search(&app, "felowship").await,
        ["The Lord of the Rings: The Fellowship of the Ring"],
        "one typo in a long word"
    );
    assert!(search(&app, "spdrmn").await.is_empty(), "two typos");
    assert!(
        search(&app, "lrod").await.is_empty(),
        "no typo in short words"
    );

    // An explicit sort still applies to the matches.
    let (_, body) = app
        .get_json("/api/v1/movies?q=spider&sort=year&order=asc")
        .await;
    assert_eq!(
        titles(&body),
        ["Spider-Man", "Spider-Man 2", "Spiderwick Chronicles"]
    );
    // And so do the other filters.
    let (_, body) = app.get_json("/api/v1/movies?q=spider&year_from=2003").await;
    assert_eq!(body["total_items"], 2, "{body}");
}

#[tokio::test]
async fn an_edited_title_is_found_by_its_new_name_at_once() {
    let app = spawn_app().await;
    let admin = app.create_user("edit_admin", "admin").await;
    let ids = add_movies(&app, &admin, &[("Working Title", 2020)]).await;
    assert_eq!(search(&app, "working title").await, ["Working Title"]);
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/movies/{}", ids[0]),
            Some(&admin.token),
            Some(json!({"title": "Final Cut"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(search(&app, "final cut").await, ["Final Cut"]);
    assert!(search(&app, "working title").await.is_empty());
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/movies/{}", ids[0]),
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(search(&app, "final cut").await.is_empty());
}

#[tokio::test]
async fn suggest_answers_with_the_best_few_movies() {
    let app = spawn_app().await;
    let admin = app.create_user("suggest_admin", "admin").await;
    let many: Vec<(String, i32)> = (1..=12)
        .map(|n| (format!("Matrix Part {n}"), 2000 + n))
        .collect();
    let many: Vec<(&str, i32)> = many.iter().map(|(t, y)| (t.as_str(), *y)).collect();
    add_movies(&app, &admin, &many).await;
    let (status, body) = app.get_json("/api/v1/search/suggest?q=matrix").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body.as_array().expect("array");
    assert_eq!(items.len(), 8, "{body}");
    // The fixture's "The Matrix" is rated: the most popular match leads.
    assert_eq!(items[0]["kind"], "movie");
    assert_eq!(items[0]["label"], "The Matrix", "{body}");
    assert_eq!(items[0]["year"], 1999);
    assert!(items.iter().all(|i| i["id"].as_i64().is_some()));
    let (status, body) = app.get_json("/api/v1/search/suggest?q=mtrix").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body[0]["label"], "The Matrix",
        "one typo in five letters: {body}"
    );
    let (status, body) = app.get_json("/api/v1/search/suggest?q=mtrx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body.as_array().map(Vec::len),
        Some(0),
        "four letters need their spelling: {body}"
    );
    for bad in ["", "%20%20", &"x".repeat(101)] {
        let response = app
            .request(Method::GET, &format!("/api/v1/search/suggest?q={bad}"))
            .await;
        let body: Value = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(body["error"]["details"]["q"].is_array(), "{body}");
    }
    let response = app.request(Method::GET, "/api/v1/search/suggest").await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}
