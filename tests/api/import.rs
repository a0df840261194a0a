//! `cinerank import movielens`: every layout, idempotence, newer releases,
//! malformed input with file:line, existing data kept, and MovieLens 100k.

use std::path::{Path, PathBuf};

use cinerank::services::catalog::GenreCatalog;
use cinerank::services::import::{ImportError, ImportReport, Layout, apply, read_dataset};
use entity::{movie, movie_genre, rating, user};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{TestDatabase, fixture_dir, test_settings};

fn fixtures(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/movielens")
        .join(name);
    if name != "100k" {
        return dir;
    }
    // Stored under other names (see its README): give them ml-100k's names.
    let staged = std::env::temp_dir().join(format!(
        "cinerank-ml100k-fixture-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&staged).unwrap();
    std::fs::copy(dir.join("hand-written-u.item.txt"), staged.join("u.item")).unwrap();
    std::fs::copy(dir.join("hand-written-u.data.txt"), staged.join("u.data")).unwrap();
    staged
}

async fn database(seed: Option<PathBuf>) -> (TestDatabase, DatabaseConnection, GenreCatalog) {
    let database = TestDatabase::create().await;
    let settings = test_settings(&database, seed.clone(), &[]);
    let db = cinerank::startup::prepare_database(&settings, seed.is_some())
        .await
        .unwrap();
    let genres = GenreCatalog::load(&db).await.unwrap();
    (database, db, genres)
}

async fn import(db: &DatabaseConnection, genres: &GenreCatalog, dir: &Path) -> ImportReport {
    let data = read_dataset(dir, false).unwrap();
    apply(db, genres, &data).await.unwrap()
}

async fn by_movielens_id(db: &DatabaseConnection, id: i32) -> movie::Model {
    movie::Entity::find()
        .filter(movie::Column::MovielensId.eq(id))
        .one(db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("movie {id} missing"))
}

async fn genre_names(db: &DatabaseConnection, genres: &GenreCatalog, movie_id: i32) -> Vec<String> {
    let mut names: Vec<String> = movie_genre::Entity::find()
        .filter(movie_genre::Column::MovieId.eq(movie_id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|l| genres.name(l.genre_id).map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn the_csv_layout_imports_movies_links_users_and_ratings() {
    let (_database, db, genres) = database(None).await;
    let data = read_dataset(&fixtures("csv"), false).unwrap();
    assert_eq!(data.layout, Layout::Csv);
    let report = apply(&db, &genres, &data).await.unwrap();
    assert_eq!(
        report,
        ImportReport {
            movies_added: 4,
            movies_updated: 0,
            users_added: 3,
            ratings_written: 5
        }
    );
    let toy = by_movielens_id(&db, 1).await;
    assert_eq!((toy.title.as_str(), toy.year), ("Toy Story", Some(1995)));
    assert_eq!(toy.imdb_id.as_deref(), Some("tt0114709"));
    assert_eq!(toy.tmdb_id, Some(862));
    assert_eq!((toy.rating_count, toy.rating_sum), (2, 14));
    assert_eq!(
        genre_names(&db, &genres, toy.id).await,
        ["Adventure", "Animation", "Comedy", "Family", "Fantasy"]
    );
    let president = by_movielens_id(&db, 3).await;
    assert_eq!(president.title, "American President, The");
    let unlisted = by_movielens_id(&db, 4).await;
    assert!(genre_names(&db, &genres, unlisted.id).await.is_empty());
    assert_eq!(unlisted.imdb_id, None);
    // MovieLens users become accounts that cannot log in.
    let accounts = user::Entity::find()
        .filter(user::Column::ExternalId.starts_with("movielens:"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(accounts.len(), 3);
    assert!(
        accounts
            .iter()
            .all(|a| a.password_hash.is_none() && a.email.is_none())
    );
}

#[tokio::test]
async fn the_ml_100k_and_ml_1m_layouts_import_latin_1_text_and_map_genres() {
    let (_database, db, genres) = database(None).await;
    let report = import(&db, &genres, &fixtures("100k")).await;
    assert_eq!(
        report,
        ImportReport {
            movies_added: 3,
            movies_updated: 0,
            users_added: 2,
            ratings_written: 3
        }
    );
    let cafe = by_movielens_id(&db, 2).await;
    assert_eq!(cafe.title, "Café au Lait");
    assert_eq!(
        genre_names(&db, &genres, cafe.id).await,
        ["Comedy", "Romance"]
    );
    let noir = by_movielens_id(&db, 3).await;
    assert_eq!(genre_names(&db, &genres, noir.id).await, ["Crime"]);

    let (_database, db, genres) = database(None).await;
    let data = read_dataset(&fixtures("1m"), false).unwrap();
    assert_eq!(data.layout, Layout::Ml1m);
    let report = apply(&db, &genres, &data).await.unwrap();
    assert_eq!(
        report,
        ImportReport {
            movies_added: 2,
            movies_updated: 0,
            users_added: 2,
            ratings_written: 3
        }
    );
    let toy = by_movielens_id(&db, 1).await;
    assert_eq!(
        genre_names(&db, &genres, toy.id).await,
        ["Animation", "Comedy", "Family"]
    );
    let sci = by_movielens_id(&db, 2).await;
    assert_eq!(
        genre_names(&db, &genres, sci.id).await,
        ["Science Fiction", "Thriller"]
    );
    assert_eq!((sci.rating_count, sci.rating_sum), (2, 14));
}

#[tokio::test]
async fn importing_the_same_release_twice_changes_nothing() {
    let (_database, db, genres) = database(None).await;
    import(&db, &genres, &fixtures("csv")).await;
    let movies_before = movie::Entity::find().all(&db).await.unwrap();
    let ratings_before = rating::Entity::find().all(&db).await.unwrap();
    let again = import(&db, &genres, &fixtures("csv")).await;
    assert_eq!(again, ImportReport::default());
    assert_eq!(movie::Entity::find().all(&db).await.unwrap(), movies_before);
    assert_eq!(
        rating::Entity::find().all(&db).await.unwrap(),
        ratings_before
    );
}

#[tokio::test]
async fn a_newer_release_adds_and_updates_by_movielens_id() {
    let (_database, db, genres) = database(None).await;
    import(&db, &genres, &fixtures("csv")).await;
    let report = import(&db, &genres, &fixtures("csv-v2")).await;
    assert_eq!(
        report,
        ImportReport {
            movies_added: 1,
            movies_updated: 2,
            users_added: 0,
            ratings_written: 2
        }
    );
    assert_eq!(movie::Entity::find().count(&db).await.unwrap(), 5);
    assert_eq!(by_movielens_id(&db, 4).await.title, "Nothing Listed Yet");
    let jumanji = by_movielens_id(&db, 2).await;
    assert_eq!(
        genre_names(&db, &genres, jumanji.id).await,
        ["Action", "Adventure", "Family", "Fantasy"]
    );
    assert_eq!(
        (jumanji.rating_count, jumanji.rating_sum),
        (1, 8),
        "the changed rating counts"
    );
    assert_eq!(
        by_movielens_id(&db, 5).await.imdb_id.as_deref(),
        Some("tt0113277")
    );
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

#[tokio::test]
async fn malformed_lines_name_file_and_line_and_nothing_is_stored_unless_skipped() {
    let dir = std::env::temp_dir().join(format!("cinerank-import-bad-{}", std::process::id()));
    let movies = "movieId,title,genres\n1,Fine (1999),Drama\n2,Also Fine (2000),Comedy\n";
    let cases = [
        (
            "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,2,6.0,2\n",
            "ratings.csv:3",
            "0.5–5.0",
        ),
        (
            "userId,movieId,rating,timestamp\n1,1,4.0,1\nx,2,3.0,2\n",
            "ratings.csv:3",
            "userId",
        ),
        (
            "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,9,3.0,2\n",
            "ratings.csv:3",
            "movie 9",
        ),
    ];
    let (_database, db, _genres) = database(None).await;
    for (ratings, location, reason) in cases {
        write(&dir, &[("movies.csv", movies), ("ratings.csv", ratings)]);
        let err = read_dataset(&dir, false).expect_err("strict import fails");
        assert!(matches!(err, ImportError::Invalid(_)), "{err}");
        let text = err.to_string();
        assert!(text.contains(location) && text.contains(reason), "{text}");
        assert_eq!(movie::Entity::find().count(&db).await.unwrap(), 0);
        // With --skip-invalid the bad line is reported and the rest is stored.
        let data = read_dataset(&dir, true).unwrap();
        assert_eq!(data.skipped.len(), 1);
        assert_eq!(data.skipped[0].line, 3);
        assert_eq!(data.ratings.len(), 1);
    }
    write(
        &dir,
        &[
            (
                "movies.csv",
                "movieId,title,genres\n1,Fine (1999),Drama\nabc,Bad (2000),Drama\n",
            ),
            ("ratings.csv", "userId,movieId,rating,timestamp\n"),
        ],
    );
    let err = read_dataset(&dir, false).unwrap_err().to_string();
    assert!(
        err.contains("movies.csv:3") && err.contains("movieId"),
        "{err}"
    );
    write(&dir, &[("u.item", "1|Short|line\n")]);
    std::fs::remove_file(dir.join("movies.csv")).ok();
    std::fs::remove_file(dir.join("ratings.csv")).ok();
    write(&dir, &[("u.data", "1\t1\t5\t1\n")]);
    let err = read_dataset(&dir, false).unwrap_err().to_string();
    assert!(err.contains("u.item:1"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
    let err = read_dataset(&dir, false).unwrap_err();
    assert!(matches!(err, ImportError::UnknownLayout(_)), "{err}");
}

#[tokio::test]
async fn an_import_keeps_the_existing_catalogue_and_its_ratings() {
    let (_database, db, genres) = database(Some(fixture_dir())).await;
    let ratings_before = rating::Entity::find().count(&db).await.unwrap();
    import(&db, &genres, &fixtures("csv")).await;
    assert_eq!(movie::Entity::find().count(&db).await.unwrap(), 11 + 4);
    assert_eq!(
        rating::Entity::find().count(&db).await.unwrap(),
        ratings_before + 5
    );
    let matrix = movie::Entity::find()
        .filter(movie::Column::Title.eq("The Matrix"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((matrix.rating_count, matrix.rating_sum), (5, 46));
}

#[tokio::test]
async fn importing_movielens_100k_yields_its_movies_users_and_ratings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/ml-100k");
    assert!(
        dir.join("u.data").is_file(),
        "MovieLens 100k is expected at {}",
        dir.display()
    );
    let (_database, db, genres) = database(None).await;
    let report = import(&db, &genres, &dir).await;
    assert_eq!(report.movies_added, 1682);
    assert_eq!(report.users_added, 943);
    assert_eq!(report.ratings_written, 100_000);
    assert_eq!(rating::Entity::find().count(&db).await.unwrap(), 100_000);
    let total: i64 = movie::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| i64::from(m.rating_count))
        .sum();
    assert_eq!(total, 100_000);
}

#[tokio::test]
async fn a_failure_while_writing_rolls_the_whole_import_back() {
    let (_database, db, genres) = database(None).await;
    import(&db, &genres, &fixtures("csv")).await;
    let movies_before = movie::Entity::find().all(&db).await.unwrap();
    let ratings_before = rating::Entity::find().count(&db).await.unwrap();
    // Movie 6 is fine; movie 7 claims Toy Story's IMDb id, which the
    // database refuses half-way through the import.
    let dir = std::env::temp_dir().join(format!("cinerank-import-rollback-{}", std::process::id()));
    write(
        &dir,
        &[
            (
                "movies.csv",
                "movieId,title,genres\n6,New One (2010),Drama\n7,Impostor (2011),Drama\n",
            ),
            (
                "links.csv",
                "movieId,imdbId,tmdbId\n6,0999999,\n7,0114709,\n",
            ),
            (
                "ratings.csv",
                "userId,movieId,rating,timestamp\n9,6,4.0,1\n",
            ),
        ],
    );
    let data = read_dataset(&dir, false).unwrap();
    let err = apply(&db, &genres, &data)
        .await
        .expect_err("the unique IMDb id stops the import");
    assert!(matches!(err, ImportError::Db(_)), "{err}");
    assert_eq!(movie::Entity::find().all(&db).await.unwrap(), movies_before);
    assert_eq!(
        rating::Entity::find().count(&db).await.unwrap(),
        ratings_before
    );
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 3);
    std::fs::remove_dir_all(&dir).ok();
}
