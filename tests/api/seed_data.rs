//! Seeding: the shipped seed data loads, loading is skipped on a non-empty
//! database, and a bad file is reported by file and line without storing
//! anything.

use cinerank::services::catalog::GenreCatalog;
use cinerank::services::seed::{SeedError, seed_if_empty};
use entity::{movie, rating, user};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

use crate::helpers::{TestDatabase, seed_dir, spawn_app_with, test_settings};

fn data_lines(path: std::path::PathBuf) -> u64 {
    let text = std::fs::read_to_string(&path).expect("seed file");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count() as u64
}

#[tokio::test]
async fn the_shipped_seed_data_loads_into_an_empty_database() {
    let app = spawn_app_with(Some(seed_dir()), &[]).await;
    let (status, body) = app.get_json("/api/v1/movies?per_page=1").await;
    assert_eq!(status, StatusCode::OK);
    let total = body["total_items"].as_u64().expect("total");
    assert!((2000..=4000).contains(&total), "{total} movies");
    assert_eq!(
        movie::Entity::find().count(&app.db).await.unwrap(),
        data_lines(seed_dir().join("movies.csv"))
    );
    let ratings = rating::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(ratings, data_lines(seed_dir().join("ratings.csv")));
    assert!((90_000..=110_000).contains(&ratings), "{ratings} ratings");
    let users = user::Entity::find().count(&app.db).await.unwrap();
    assert!((900..=1100).contains(&users), "{users} users");

    // Aggregates agree with a recount for the most rated movie.
    let top = movie::Entity::find()
        .order_by_desc(movie::Column::RatingCount)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a movie");
    let recount: Vec<rating::Model> = rating::Entity::find()
        .filter(<rating::Column as sea_orm::ColumnTrait>::eq(
            &rating::Column::MovieId,
            top.id,
        ))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(top.rating_count as usize, recount.len());
    assert_eq!(
        top.rating_sum,
        recount.iter().map(|r| i64::from(r.half_stars)).sum::<i64>()
    );

    // Every movie has genres, and the popular list shows real films.
    let (_, body) = app.get_json("/api/v1/movies?per_page=100").await;
    for item in body["items"].as_array().expect("items") {
        assert!(
            !item["genres"].as_array().expect("genres").is_empty(),
            "{item}"
        );
        assert!(
            item["avg_rating"]
                .as_f64()
                .is_some_and(|a| (0.5..=5.0).contains(&a))
        );
    }
    let (_, body) = app.get_json("/api/v1/genres").await;
    let with_movies = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|g| g["movie_count"].as_i64().unwrap_or(0) > 0)
        .count();
    assert!(with_movies >= 18, "{body}");
}

use sea_orm::QueryFilter;

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = spawn_app_with(Some(crate::helpers::fixture_dir()), &[]).await;
    let genres = GenreCatalog::load(&app.db).await.unwrap();
    let again = seed_if_empty(&app.db, &genres, &crate::helpers::fixture_dir())
        .await
        .unwrap();
    assert_eq!(again, None);
    assert_eq!(movie::Entity::find().count(&app.db).await.unwrap(), 11);
    assert_eq!(rating::Entity::find().count(&app.db).await.unwrap(), 28);
}

fn write_seed(dir: &std::path::Path, movies: &str, ratings: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("movies.csv"), movies).unwrap();
    std::fs::write(dir.join("ratings.csv"), ratings).unwrap();
}

#[tokio::test]
async fn a_bad_seed_file_is_reported_by_file_and_line_and_nothing_is_stored() {
    let database = TestDatabase::create().await;
    let settings = test_settings(&database, None, &[]);
    let db = cinerank::startup::prepare_database(&settings, false)
        .await
        .unwrap();
    let genres = GenreCatalog::load(&db).await.unwrap();
    let dir = std::env::temp_dir().join(format!("cinerank-bad-seed-{}", std::process::id()));
    let header = "movieId,title,genres\n";

    let cases = [
        (
            format!("{header}1,Fine (1999),Drama\n2,Odd (2000),Polka\n"),
            "userId,movieId,rating,timestamp\n".to_owned(),
            "movies.csv:3",
            "unknown genre",
        ),
        (
            format!("{header}1,Fine (1999),Drama\nx,Odd (2000),Drama\n"),
            "userId,movieId,rating,timestamp\n".to_owned(),
            "movies.csv:3",
            "not an integer",
        ),
        (
            format!("{header}1,Fine (1999),Drama\n"),
            "userId,movieId,rating,timestamp\n1,1,4.0,0\n1,1,7.0,0\n".to_owned(),
            "ratings.csv:3",
            "0.5–5.0",
        ),
        // Found only while inserting: the transaction must roll back the movies.
        (
            format!("{header}1,Fine (1999),Drama\n"),
            "userId,movieId,rating,timestamp\n1,1,4.0,0\n2,9,3.0,0\n".to_owned(),
            "ratings.csv:3",
            "not in movies.csv",
        ),
    ];
    for (movies, ratings, location, reason) in cases {
        write_seed(&dir, &movies, &ratings);
        let err = seed_if_empty(&db, &genres, &dir)
            .await
            .expect_err("bad seed rejected");
        assert!(matches!(err, SeedError::Invalid { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains(location) && text.contains(reason), "{text}");
        assert_eq!(movie::Entity::find().count(&db).await.unwrap(), 0, "{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
