//! The seeded demo makes sense to a person: its synthetic ratings carry the
//! films' real structure (series, directors, genres), so "similar movies"
//! on the seed are what a film fan would name.

use std::collections::{HashMap, HashSet};

use cinerank::dataset::series_of;
use serde_json::Value;

use crate::helpers::{TestApp, seed_dir, spawn_app_with};

async fn similar(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, body) = app
        .get_json(&format!("/api/v1/movies/{id}/similar?limit=10"))
        .await;
    assert!(status.is_success(), "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["movie"].clone())
        .collect()
}

fn genres(movie: &Value) -> HashSet<String> {
    movie["genres"]
        .as_array()
        .expect("genres")
        .iter()
        .filter_map(|g| g.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn similar_movies_on_the_seed_share_genres_and_series() {
    let app = spawn_app_with(Some(seed_dir()), &[]).await;
    app.wait_until_ready().await;
    let mut catalogue = Vec::new();
    for page in 1.. {
        let (_, body) = app
            .get_json(&format!("/api/v1/movies?per_page=100&page={page}"))
            .await;
        catalogue.extend(body["items"].as_array().expect("items").iter().cloned());
        if page >= body["total_pages"].as_i64().expect("pages") {
            break;
        }
    }
    let mut series: HashMap<String, Vec<i64>> = HashMap::new();
    for movie in &catalogue {
        let title = movie["title"].as_str().expect("title");
        series
            .entry(series_of(title))
            .or_default()
            .push(movie["id"].as_i64().expect("id"));
    }

    let scream = catalogue
        .iter()
        .find(|m| m["title"] == "Scream" && m["year"] == 1996)
        .expect("Scream (1996) in the seed");
    let found = similar(&app, scream["id"].as_i64().expect("id")).await;
    let titles: Vec<&str> = found.iter().filter_map(|m| m["title"].as_str()).collect();
    assert!(titles.contains(&"Scream 2"), "{titles:?}");
    let horror = found
        .iter()
        .filter(|m| genres(m).contains("Horror"))
        .count();
    assert!(horror >= 6, "{horror} horror films in {titles:?}");

    // The 100 most rated films (the list's default order).
    let (mut shared, mut shown, mut with_series, mut series_found) = (0, 0, 0, 0);
    for movie in catalogue.iter().take(100) {
        let id = movie["id"].as_i64().expect("id");
        let found = similar(&app, id).await;
        let own = genres(movie);
        shown += found.len();
        shared += found
            .iter()
            .filter(|m| !genres(m).is_disjoint(&own))
            .count();
        let title = movie["title"].as_str().expect("title");
        let partners: Vec<i64> = series[&series_of(title)]
            .iter()
            .copied()
            .filter(|&other| other != id)
            .collect();
        if !partners.is_empty() {
            with_series += 1;
            if found
                .iter()
                .any(|m| partners.contains(&m["id"].as_i64().unwrap_or(0)))
            {
                series_found += 1;
            }
        }
    }
    assert!(
        shared * 10 >= shown * 8,
        "{shared} of {shown} similar films share a genre"
    );
    assert!(
        series_found * 10 >= with_series * 7,
        "a film of the same series is in the top 10 for {series_found} of {with_series}"
    );
}
