//! The catalogue endpoints on the fixture catalogue, whose right answers are
//! worked out by hand from tests/fixtures/catalog.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, titles};

async fn list_titles(app: &crate::helpers::TestApp, query: &str) -> Vec<String> {
    let (status, body) = app.get_json(&format!("/api/v1/movies?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    titles(&body)
}

#[tokio::test]
async fn the_default_list_is_the_first_page_by_popularity_with_the_pagination_shape() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/movies").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 20);
    assert_eq!(body["total_items"], 11);
    assert_eq!(body["total_pages"], 1);
    assert_eq!(
        titles(&body),
        [
            "The Matrix",
            "Inception",
            "Heat",
            "Alien",
            "Toy Story",
            "Annie Hall",
            "Back\\Slash",
            "O'Brien's Day",
            "50% Off",
            "Under_score",
            "Unrated Film"
        ]
    );
    let matrix = &body["items"][0];
    assert_eq!(matrix["year"], 1999);
    assert_eq!(
        matrix["genres"],
        serde_json::json!(["Action", "Science Fiction"])
    );
    assert_eq!(matrix["avg_rating"], 4.6);
    assert_eq!(matrix["rating_count"], 5);
    assert_eq!(matrix["poster_url"], "https://example.org/matrix.jpg");
    let unrated = &body["items"][10];
    assert!(unrated["avg_rating"].is_null(), "{unrated}");
    assert_eq!(unrated["rating_count"], 0);
}

#[tokio::test]
async fn every_sort_orders_as_documented_in_both_directions() {
    let app = spawn_app().await;
    let by_rating = [
        "O'Brien's Day",
        "The Matrix",
        "Inception",
        "Toy Story",
        "Heat",
        "Alien",
        "Annie Hall",
        "Back\\Slash",
        "50% Off",
        "Under_score",
        "Unrated Film",
    ];
    assert_eq!(list_titles(&app, "sort=rating").await, by_rating);
    assert_eq!(
        list_titles(&app, "sort=year").await,
        [
            "Unrated Film",
            "Back\\Slash",
            "Under_score",
            "50% Off",
            "Inception",
            "O'Brien's Day",
            "The Matrix",
            "Heat",
            "Toy Story",
            "Alien",
            "Annie Hall"
        ]
    );
    let by_title = [
        "50% Off",
        "Alien",
        "Annie Hall",
        "Back\\Slash",
        "Heat",
        "Inception",
        "O'Brien's Day",
        "The Matrix",
        "Toy Story",
        "Under_score",
        "Unrated Film",
    ];
    assert_eq!(list_titles(&app, "sort=title").await, by_title);
    let mut reversed = by_title.to_vec();
    reversed.reverse();
    assert_eq!(list_titles(&app, "sort=title&order=desc").await, reversed);
    assert_eq!(
        list_titles(&app, "sort=rating&order=asc").await,
        by_rating.iter().rev().copied().collect::<Vec<_>>()
    );
    // All fixture movies were added together: newest falls back to the id.
    let newest = list_titles(&app, "sort=newest").await;
    assert_eq!(newest.first().map(String::as_str), Some("O'Brien's Day"));
    assert_eq!(newest.last().map(String::as_str), Some("The Matrix"));
    assert_eq!(
        list_titles(&app, "sort=popularity&order=asc&per_page=2").await,
        ["Unrated Film", "Under_score"]
    );
}

#[tokio::test]
async fn genre_filters_require_every_genre_named() {
    let app = spawn_app().await;
    assert_eq!(
        list_titles(&app, "genre=Science%20Fiction&sort=title").await,
        ["Alien", "Inception", "The Matrix"]
    );
    let both = ["Inception", "The Matrix"];
    assert_eq!(
        list_titles(&app, "genre=action,science%20fiction&sort=title").await,
        both
    );
    assert_eq!(
        list_titles(&app, "genre=Action&genre=Science%20Fiction&sort=title").await,
        both
    );
    assert_eq!(
        list_titles(&app, "genre=action&genre=thriller&sort=title").await,
        ["Heat", "Inception"]
    );
    assert!(list_titles(&app, "genre=Western").await.is_empty());
}

#[tokio::test]
async fn year_rating_and_vote_filters_narrow_the_list() {
    let app = spawn_app().await;
    assert_eq!(
        list_titles(&app, "year_from=2000&year_to=2012&sort=title").await,
        ["50% Off", "Inception", "O'Brien's Day", "Under_score"]
    );
    assert_eq!(
        list_titles(&app, "year_to=1979&sort=title").await,
        ["Alien", "Annie Hall"]
    );
    assert_eq!(
        list_titles(&app, "min_rating=4&sort=title").await,
        [
            "Heat",
            "Inception",
            "O'Brien's Day",
            "The Matrix",
            "Toy Story"
        ]
    );
    assert_eq!(
        list_titles(&app, "min_votes=4&sort=title").await,
        ["Alien", "Heat", "Inception", "The Matrix"]
    );
    assert_eq!(
        list_titles(
            &app,
            "genre=Action&min_rating=4.2&year_from=1999&sort=rating"
        )
        .await,
        ["The Matrix", "Inception"]
    );
}

#[tokio::test]
async fn title_search_ignores_case_and_punctuation_and_treats_sql_metacharacters_as_text() {
    let app = spawn_app().await;
    assert_eq!(list_titles(&app, "q=MATRIX").await, ["The Matrix"]);
    assert_eq!(list_titles(&app, "q=%20incep%20").await, ["Inception"]);
    assert_eq!(list_titles(&app, "q=50%25").await, ["50% Off"]);
    assert_eq!(list_titles(&app, "q=under_score").await, ["Under_score"]);
    assert_eq!(list_titles(&app, "q=back%5Cslash").await, ["Back\\Slash"]);
    // Punctuation alone is nothing to search for.
    for q in ["%25", "_", "%5C"] {
        assert!(list_titles(&app, &format!("q={q}")).await.is_empty(), "{q}");
    }
    assert_eq!(list_titles(&app, "q=o'brien").await, ["O'Brien's Day"]);
    assert!(
        list_titles(&app, "q=%27%20OR%201%3D1%20--")
            .await
            .is_empty()
    );
    assert!(
        list_titles(&app, "q=%27%3B%20DROP%20TABLE%20movies%3B%20--")
            .await
            .is_empty()
    );
    // Nothing was harmed.
    let (_, body) = app.get_json("/api/v1/movies").await;
    assert_eq!(body["total_items"], 11);
}

#[tokio::test]
async fn pages_partition_the_list_and_a_page_past_the_end_is_empty() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    for page in 1..=4 {
        let (status, body) = app
            .get_json(&format!("/api/v1/movies?per_page=3&page={page}&sort=title"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["total_items"], 11);
        assert_eq!(body["total_pages"], 4);
        assert_eq!(body["page"], page);
        assert_eq!(body["per_page"], 3);
        seen.extend(titles(&body));
    }
    assert_eq!(seen.len(), 11);
    assert_eq!(seen, list_titles(&app, "sort=title&per_page=100").await);
    let (status, body) = app.get_json("/api/v1/movies?per_page=3&page=5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], serde_json::json!([]));
    assert_eq!(body["page"], 5);
    assert_eq!(body["total_items"], 11);
    let (_, body) = app.get_json("/api/v1/movies?per_page=100&page=1").await;
    assert_eq!(titles(&body).len(), 11);
    let (_, body) = app.get_json("/api/v1/movies?genre=Western").await;
    assert_eq!(body["total_items"], 0);
    assert_eq!(body["total_pages"], 0);
}

#[tokio::test]
async fn a_movie_has_details_with_genres_overview_and_average() {
    let app = spawn_app().await;
    let id = app.movie_id("Toy Story").await;
    let (status, body) = app.get_json(&format!("/api/v1/movies/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id);
    assert_eq!(body["title"], "Toy Story");
    assert_eq!(body["year"], 1995);
    assert_eq!(
        body["genres"],
        serde_json::json!(["Animation", "Comedy", "Family"])
    );
    assert_eq!(
        body["overview"],
        "Toys come to life when nobody is looking."
    );
    assert!(body["poster_url"].is_null());
    assert_eq!(body["avg_rating"], 4.33);
    assert_eq!(body["rating_count"], 3);
    // Cached the second time; same answer.
    let (_, again) = app.get_json(&format!("/api/v1/movies/{id}")).await;
    assert_eq!(again, body);
}

#[tokio::test]
async fn genres_list_every_genre_with_its_movie_count() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/genres").await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 20);
    let count = |name: &str| {
        items
            .iter()
            .find(|g| g["name"] == name)
            .and_then(|g| g["movie_count"].as_i64())
            .unwrap_or_else(|| panic!("genre {name} missing"))
    };
    assert_eq!(count("Comedy"), 4);
    assert_eq!(count("Action"), 3);
    assert_eq!(count("Science Fiction"), 3);
    assert_eq!(count("Drama"), 3);
    assert_eq!(count("Thriller"), 2);
    assert_eq!(count("Western"), 0);
    assert!(items.iter().all(|g| g["id"].is_i64()));
}
