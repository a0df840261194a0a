//! Credits: cast and directors on a movie's page, a person's page with
//! their films, the `person=` filter, and people in search and type-ahead;
//! the shipped seed credits real directors.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{assert_error, seed_dir, spawn_app, spawn_app_with};

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect()
}

#[tokio::test]
async fn a_movie_lists_its_directors_and_cast_in_billing_order() {
    let app = spawn_app().await;
    let matrix = app.movie_id("The Matrix").await;
    let (status, body) = app.get_json(&format!("/api/v1/movies/{matrix}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        names(&body["directors"]),
        ["Lana Wachowski", "Lilly Wachowski"]
    );
    assert_eq!(
        names(&body["cast"]),
        ["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"]
    );
    assert_eq!(body["cast"][0]["character"], "Neo");
    assert!(body["runtime_minutes"].is_null(), "{body}");
    // A movie without credits has empty lists, not missing fields.
    let alien = app.movie_id("Alien").await;
    let (_, body) = app.get_json(&format!("/api/v1/movies/{alien}")).await;
    assert_eq!(body["cast"], serde_json::json!([]));
    assert_eq!(body["directors"], serde_json::json!([]));
}

#[tokio::test]
async fn a_person_page_lists_their_films_with_their_roles() {
    let app = spawn_app().await;
    let annie = app.movie_id("Annie Hall").await;
    let (_, movie) = app.get_json(&format!("/api/v1/movies/{annie}")).await;
    let woody = movie["directors"][0]["id"].as_i64().expect("id");
    assert_eq!(
        movie["cast"][0]["id"].as_i64(),
        Some(woody),
        "one person, two roles"
    );
    let (status, person) = app.get_json(&format!("/api/v1/people/{woody}")).await;
    assert_eq!(status, StatusCode::OK, "{person}");
    assert_eq!(person["name"], "Woody Allen");
    let movies = person["movies"].as_array().expect("movies");
    assert_eq!(movies.len(), 1);
    assert_eq!(movies[0]["movie"]["title"], "Annie Hall");
    assert_eq!(movies[0]["roles"], serde_json::json!(["cast", "director"]));

    // The movie list filters by person, with the other filters.
    let matrix = app.movie_id("The Matrix").await;
    let (_, movie) = app.get_json(&format!("/api/v1/movies/{matrix}")).await;
    let keanu = movie["cast"][0]["id"].as_i64().expect("id");
    let (status, list) = app
        .get_json(&format!("/api/v1/movies?person={keanu}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(crate::helpers::titles(&list), ["The Matrix"]);
    let (_, list) = app
        .get_json(&format!("/api/v1/movies?person={keanu}&year_from=2000"))
        .await;
    assert_eq!(list["total_items"], 0);

    let response = app.request(Method::GET, "/api/v1/people/999999").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.request(Method::GET, "/api/v1/people/abc").await;
    assert_error(response, StatusCode::BAD_REQUEST, "invalid_path_parameter").await;
    let response = app.request(Method::GET, "/api/v1/movies?person=0").await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn a_name_finds_the_person_and_their_films() {
    let app = spawn_app().await;
    let (_, list) = app.get_json("/api/v1/movies?q=keanu%20reeves").await;
    assert_eq!(crate::helpers::titles(&list), ["The Matrix"]);
    let (_, list) = app.get_json("/api/v1/movies?q=christopher%20nolan").await;
    assert_eq!(crate::helpers::titles(&list), ["Inception"]);
    // A title match ranks before a film found through its people.
    let (_, list) = app.get_json("/api/v1/movies?q=heat").await;
    assert_eq!(crate::helpers::titles(&list), ["Heat"]);

    let (status, body) = app.get_json("/api/v1/search/suggest?q=keanu").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["kind"], "person", "{body}");
    assert_eq!(body[0]["label"], "Keanu Reeves");
    assert!(body[0].get("year").is_none(), "{body}");
    let (_, body) = app.get_json("/api/v1/search/suggest?q=ma").await;
    let kinds: Vec<&str> = body
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"movie") && kinds.contains(&"person"),
        "{body}"
    );
}

#[tokio::test]
async fn the_seed_credits_real_directors_and_casts() {
    let app = spawn_app_with(Some(seed_dir()), &[]).await;
    for (title, year, director) in [
        ("Scream", 1996, "Wes Craven"),
        ("Jaws", 1975, "Steven Spielberg"),
        ("Titanic", 1997, "James Cameron"),
        ("Pulp Fiction", 1994, "Quentin Tarantino"),
    ] {
        let (_, list) = app
            .get_json(&format!(
                "/api/v1/movies?q={}&sort=year",
                title.replace(' ', "%20")
            ))
            .await;
        let id = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|m| m["title"] == title && m["year"] == year)
            .and_then(|m| m["id"].as_i64())
            .unwrap_or_else(|| panic!("{title} ({year}) in the seed"));
        let (_, movie) = app.get_json(&format!("/api/v1/movies/{id}")).await;
        assert_eq!(names(&movie["directors"]), [director], "{title}");
        assert!(
            movie["cast"].as_array().is_some_and(|c| !c.is_empty()),
            "{title}"
        );
    }
    let (_, found) = app
        .get_json("/api/v1/search/suggest?q=steven%20spielberg")
        .await;
    assert_eq!(found[0]["kind"], "person", "{found}");
    let spielberg = found[0]["id"].as_i64().expect("id");
    let (_, person) = app.get_json(&format!("/api/v1/people/{spielberg}")).await;
    let films = person["movies"].as_array().expect("movies");
    assert!(films.len() >= 5, "{} films", films.len());
    assert!(films.iter().any(|f| f["movie"]["title"] == "Jaws"));
}
