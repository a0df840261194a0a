//! "More like this": a movie added a minute ago, with no ratings, is placed
//! by what it is (series, director, genres, overview), with the reason;
//! a much-rated one keeps its collaborative neighbours.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_new_movie_without_ratings_gets_neighbours_that_share_its_series_or_people() {
    let app = spawn_app().await;
    app.wait_until_ready().await;
    let admin = app.create_user("similar_admin", "admin").await;
    let (status, created) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({
                "title": "Heat 2",
                "year": 2026,
                "genres": ["Action", "Crime", "Thriller"],
                "overview": "The detective hunts a new crew of professional thieves.",
                "directors": ["Michael Mann"],
                "cast": ["Adam Driver"],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["directors"][0]["name"], "Michael Mann");
    assert_eq!(created["cast"][0]["name"], "Adam Driver");
    let id = created["id"].as_i64().expect("id");
    let (status, body) = app
        .get_json(&format!("/api/v1/movies/{id}/similar?limit=5"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items[0]["movie"]["title"], "Heat", "{body}");
    assert_eq!(items[0]["reason"]["kind"], "same_series", "{body}");
    // Every neighbour shares a genre with it, and none is itself.
    for item in items {
        assert_ne!(item["movie"]["id"].as_i64(), Some(id));
        let genres: Vec<&str> = item["movie"]["genres"]
            .as_array()
            .expect("genres")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            genres
                .iter()
                .any(|g| ["Action", "Crime", "Thriller"].contains(g)),
            "{item}"
        );
    }

    // Sharing only a director also counts, and says so.
    let (_, created) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({
                "title": "Manhattan Nights",
                "year": 1979,
                "genres": ["Comedy", "Romance"],
                "overview": "A comedian falls for his best friend's lover in New York.",
                "directors": ["Woody Allen"],
            })),
        )
        .await;
    let id = created["id"].as_i64().expect("id");
    let (_, body) = app
        .get_json(&format!("/api/v1/movies/{id}/similar?limit=3"))
        .await;
    assert_eq!(body["items"][0]["movie"]["title"], "Annie Hall", "{body}");
    assert_eq!(
        body["items"][0]["reason"],
        json!({"kind": "same_director", "name": "Woody Allen"})
    );

    // Names are validated like every other field.
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({"title": "Nameless", "directors": ["  "]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["details"]["directors"].is_array(), "{body}");
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({"title": "Nameless", "cast": ["Nul\u{0}Byte"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["details"]["cast"].is_array(), "{body}");
}
