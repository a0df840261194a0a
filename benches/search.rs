//! `cargo bench --bench search`: how long a title search (`GET /movies?q=`)
//! and a type-ahead request (`GET /search/suggest`) take at the service
//! layer, uncached, one at a time (p50/p95/p99), and how long training
//! takes with the content source, on two catalogues:
//!
//! 1. the seed catalogue (3,000 real films, their credits, 100k ratings);
//! 2. the seed plus the 25M-shaped generator's catalogue (62,423 synthetic
//!    movies, rated by ml-25m's 162,541 users), each given a synthetic director
//!    and four cast members whose names recombine the seed's first and last
//!    names (so the people table grows to MovieLens-25M scale with real
//!    name statistics) and a seed film's overview (so the content source
//!    indexes real text).
//!
//! SQLite in a temporary file by default; `SEARCH_BENCH_DATABASE_URL` set
//! to a PostgreSQL server's admin URL runs on a fresh database there
//! instead. `SEARCH_BENCH_MOVIES` (62423), `SEARCH_BENCH_RATINGS`
//! (2,500,000: search reads rating counts, not ratings, so a tenth of 25M
//! keeps the import short) and `SEARCH_BENCH_ROUNDS` (20) change the shape.
//! One measured run, not criterion: building the big catalogue takes
//! minutes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use cinerank::config::Settings;
use cinerank::dataset::{CreditRecord, CreditRole};
use cinerank::recommender::content::ContentIndex;
use cinerank::recommender::{Model, TrainConfig};
use cinerank::services::catalog::{Catalog, GenreCatalog, MovieFilter, add_credits};
use cinerank::services::import::{ImportOptions, ImportProgress, import_movielens};
use cinerank::services::recommendations::data::load_content;
use cinerank::services::recommendations::load_training_data;
use cinerank::services::{PageRequest, seed};
use cinerank::synth::{GeneratorConfig, synthesise_movies, write_movies_csv, write_ratings_csv};
use entity::{movie, person};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};

#[path = "support.rs"]
#[expect(dead_code, reason = "shared by the benchmarks; each uses part of it")]
mod support;

/// What people type into the search box: exact titles, spacing and
/// punctuation variants, a typo, a leading article, people's names.
const SEARCHES: &[&str] = &[
    "spiderman",
    "spider man",
    "spidermn",
    "the lord",
    "lord of the rings",
    "scream",
    "matrix",
    "star wars",
    "godfather",
    "jurasic park",
    "toy story",
    "terminator",
    "harry potter",
    "alien",
    "keanu reeves",
    "steven spielberg",
    "tom hanks",
    "meryl streep",
    "love",
    "the",
];

/// Words typed letter by letter into the type-ahead box (every prefix of
/// two letters or more is one request).
const TYPED: &[&str] = &[
    "scream",
    "spider-man",
    "keanu",
    "the lord",
    "inception",
    "harry potter",
    "tarantino",
    "casablanca",
];

/// A query every synthetic title matches ("Synthetic Film 123"): the worst
/// case for the ranking, measured on its own.
const BROAD: &str = "synthetic film";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

/// `p50 / p95 / p99 ms (n)` of some timings in milliseconds.
fn summary(mut millis: Vec<f64>) -> String {
    millis.sort_by(f64::total_cmp);
    format!(
        "p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} requests",
        percentile(&millis, 0.5),
        percentile(&millis, 0.95),
        percentile(&millis, 0.99),
        millis.last().copied().unwrap_or(f64::NAN),
        millis.len()
    )
}

/// The database under test and how to drop it.
struct BenchDatabase {
    url: String,
    postgres_admin: Option<(String, String)>,
    sqlite_dir: Option<PathBuf>,
}

impl BenchDatabase {
    async fn create(work: &Path) -> BenchDatabase {
        match std::env::var("SEARCH_BENCH_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("cinerank_search_bench_{}", std::process::id());
                let db = connect(&admin).await;
                run(&db, &format!("CREATE DATABASE \"{name}\"")).await;
                db.close().await.ok();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                BenchDatabase {
                    url: format!("{base}/{name}"),
                    postgres_admin: Some((admin.clone(), name)),
                    sqlite_dir: None,
                }
            }
            _ => BenchDatabase {
                url: format!("sqlite://{}/bench.db?mode=rwc", work.display()),
                postgres_admin: None,
                sqlite_dir: Some(work.to_owned()),
            },
        }
    }

    fn backend(&self) -> &'static str {
        if self.postgres_admin.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    async fn drop_it(self) {
        if let Some((admin, name)) = self.postgres_admin {
            let db = connect(&admin).await;
            run(
                &db,
                &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            )
            .await;
        }
        if let Some(dir) = self.sqlite_dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}

async fn connect(url: &str) -> DatabaseConnection {
    match Database::connect(url).await {
        Ok(db) => db,
        Err(err) => panic!("connect to {url}: {err}"),
    }
}

async fn run(db: &impl ConnectionTrait, sql: &str) {
    if let Err(err) = db.execute_unprepared(sql).await {
        panic!("{sql}: {err}");
    }
}

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => panic!("tokio runtime: {err}"),
    };
    runtime.block_on(bench());
}

async fn bench() {
    let movies = u32::try_from(env_number("SEARCH_BENCH_MOVIES", 62_423)).unwrap_or(62_423);
    let ratings = env_number("SEARCH_BENCH_RATINGS", 2_500_000);
    let rounds = env_number("SEARCH_BENCH_ROUNDS", 20) as usize;
    let work = std::env::temp_dir().join(format!("cinerank-search-bench-{}", std::process::id()));
    if let Err(err) = std::fs::create_dir_all(&work) {
        panic!("{}: {err}", work.display());
    }
    let database = BenchDatabase::create(&work).await;
    let seed_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seed_data");
    let vars = HashMap::from([
        ("DATABASE_URL", database.url.clone()),
        (
            "JWT_SECRET",
            "search-bench-secret-that-is-long-enough".to_owned(),
        ),
        ("SEED_DIR", seed_dir.display().to_string()),
    ]);
    let settings = match Settings::from_lookup(|name| vars.get(name).cloned()) {
        Ok(settings) => settings,
        Err(err) => panic!("settings: {err}"),
    };
    println!(
        "{}, {} cores, {rounds} rounds per query",
        database.backend(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let started = Instant::now();
    let db = match cinerank::startup::prepare_database(&settings, false).await {
        Ok(db) => db,
        Err(err) => panic!("prepare database: {err}"),
    };
    let genres = match GenreCatalog::load(&db).await {
        Ok(genres) => Arc::new(genres),
        Err(err) => panic!("genres: {err}"),
    };
    if let Err(err) = seed::seed_if_empty(&db, &genres, &seed_dir).await {
        panic!("seed: {err}");
    }
    println!(
        "\n== seed catalogue ({} movies, {} people), loaded in {:.1} s",
        count(&db, "movies").await,
        count(&db, "people").await,
        started.elapsed().as_secs_f64()
    );
    measure(&db, &genres, rounds, false).await;
    train(&db).await;

    let started = Instant::now();
    add_synthetic_catalogue(&db, &genres, &work, movies, ratings).await;
    println!(
        "\n== seed + synthetic catalogue ({} movies, {} people, {} ratings), built in {:.1} s",
        count(&db, "movies").await,
        count(&db, "people").await,
        count(&db, "ratings").await,
        started.elapsed().as_secs_f64()
    );
    measure(&db, &genres, rounds, true).await;
    train(&db).await;

    db.close().await.ok();
    database.drop_it().await;
    std::fs::remove_dir_all(&work).ok();
}

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await;
    match row {
        Ok(Some(row)) => row.try_get::<i64>("", "n").unwrap_or(-1),
        _ => -1,
    }
}

/// Times every search and every typed prefix, `rounds` times, through a
/// catalogue without caches (a cache would time a hash lookup).
async fn measure(db: &DatabaseConnection, genres: &Arc<GenreCatalog>, rounds: usize, broad: bool) {
    let catalog = Catalog::new(db.clone(), Arc::clone(genres), 0, None);
    let page = PageRequest {
        page: 1,
        per_page: 20,
    };
    let search = |q: &'static str| {
        let catalog = &catalog;
        async move {
            let filter = MovieFilter {
                q: Some(q.to_owned()),
                ..MovieFilter::default()
            };
            let started = Instant::now();
            let found = match catalog.list_movies(&filter, page).await {
                Ok(found) => found,
                Err(err) => panic!("search {q}: {err}"),
            };
            std::hint::black_box(found);
            started.elapsed().as_secs_f64() * 1e3
        }
    };
    // One warm-up pass: connections opened, pages in the database's cache.
    for q in SEARCHES {
        search(q).await;
    }
    let mut searches = Vec::new();
    let mut slowest: HashMap<&str, f64> = HashMap::new();
    for _ in 0..rounds {
        for q in SEARCHES {
            let ms = search(q).await;
            let worst = slowest.entry(q).or_default();
            *worst = worst.max(ms);
            searches.push(ms);
        }
    }
    println!("search  (20 queries): {}", summary(searches));
    let mut worst: Vec<(&str, f64)> = slowest.into_iter().collect();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    let worst: Vec<String> = (worst.iter().take(3))
        .map(|(q, ms)| format!("\"{q}\" {ms:.1} ms"))
        .collect();
    println!("  slowest single requests: {}", worst.join(", "));

    let prefixes: Vec<String> = TYPED
        .iter()
        .flat_map(|word| {
            let chars: Vec<char> = word.chars().collect();
            (2..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .collect();
    let mut suggests = Vec::new();
    for round in 0..=rounds {
        for prefix in &prefixes {
            let started = Instant::now();
            match catalog.suggest(prefix, 8).await {
                Ok(found) => std::hint::black_box(found),
                Err(err) => panic!("suggest {prefix}: {err}"),
            };
            // Round 0 warms up.
            if round > 0 {
                suggests.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    println!(
        "suggest ({} prefixes): {}",
        prefixes.len(),
        summary(suggests)
    );
    if broad {
        let mut timings = Vec::new();
        for _ in 0..rounds.clamp(1, 5) {
            timings.push(search(BROAD).await);
        }
        println!(
            "search \"{BROAD}\" (matches every synthetic title): {}",
            summary(timings)
        );
    }
}

/// Training as the service does it: the data loaded from the database,
/// then the content index and the rating models built.
async fn train(db: &DatabaseConnection) {
    let started = Instant::now();
    let data = match load_training_data(db).await {
        Ok(data) => data,
        Err(err) => panic!("training data: {err}"),
    };
    let content = match load_content(db).await {
        Ok(content) => content,
        Err(err) => panic!("content: {err}"),
    };
    let loaded = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let index = ContentIndex::build(content);
    let content_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let model = match Model::train(&data, &TrainConfig::default()) {
        Ok(model) => model,
        Err(err) => panic!("training: {err}"),
    };
    let model_seconds = started.elapsed().as_secs_f64();
    println!(
        "training: load {loaded:.1} s, content index {content_seconds:.2} s ({} movies), models {model_seconds:.1} s ({} ratings); total {:.1} s",
        index.len(),
        data.ratings.len(),
        loaded + content_seconds + model_seconds
    );
    let timings: Vec<String> = (model.stats().timings.iter())
        .map(|t| format!("{} {:.1} s", t.source, t.seconds))
        .collect();
    println!("  models: {}", timings.join(", "));
    if let Some(peak) = support::peak_rss_mib() {
        println!("  peak RSS of the bench so far: {peak:.0} MiB");
    }
}

/// Imports the generator's catalogue and ratings as a MovieLens release,
/// then gives every synthetic movie credits and an overview (see the module
/// docs).
async fn add_synthetic_catalogue(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    work: &Path,
    movies: u32,
    ratings: u64,
) {
    // ml-25m's users, unless too few ratings to give each of them some.
    let users = u32::try_from((ratings / 15).clamp(1, 162_541)).unwrap_or(162_541);
    let config = GeneratorConfig {
        users,
        movies,
        ratings,
        seed: 25,
    };
    // The seed's movies came first, so they hold ids first..first+n.
    let seed_ids: Vec<i32> = match movie::Entity::find()
        .select_only()
        .column(movie::Column::Id)
        .filter(movie::Column::MovielensId.is_null())
        .into_tuple()
        .all(db)
        .await
    {
        Ok(ids) => ids,
        Err(err) => panic!("seed movies: {err}"),
    };
    let first_seed = seed_ids.iter().min().copied().unwrap_or(1);
    let seed_count = seed_ids.len().max(1);
    let release = work.join("release");
    let catalogue = synthesise_movies(&config);
    let written = std::fs::create_dir_all(&release)
        .and_then(|()| std::fs::File::create(release.join("movies.csv")))
        .and_then(|file| write_movies_csv(file, &catalogue));
    if let Err(err) = written {
        panic!("movies.csv: {err}");
    }
    let ratings_file = match std::fs::File::create(release.join("ratings.csv")) {
        Ok(file) => file,
        Err(err) => panic!("ratings.csv: {err}"),
    };
    if let Err(err) = write_ratings_csv(ratings_file, &config, &catalogue) {
        panic!("ratings: {err}");
    }
    let progress = ImportProgress::default();
    if let Err(err) =
        import_movielens(db, genres, &release, ImportOptions::default(), &progress).await
    {
        panic!("import: {err}");
    }

    // Names recombined from the seed's people: first names with last names.
    let names: Vec<String> = match person::Entity::find()
        .select_only()
        .column(person::Column::Name)
        .into_tuple()
        .all(db)
        .await
    {
        Ok(names) => names,
        Err(err) => panic!("people: {err}"),
    };
    let split: Vec<(&str, &str)> = names
        .iter()
        .filter_map(|n| n.split_once(' '))
        .filter(|(first, last)| !first.is_empty() && !last.is_empty())
        .collect();
    let firsts: Vec<&str> = split.iter().map(|(f, _)| *f).collect();
    let lasts: Vec<&str> = split.iter().map(|(_, l)| *l).collect();
    let synthetic: Vec<(i32, i32)> = match movie::Entity::find()
        .select_only()
        .columns([movie::Column::Id, movie::Column::MovielensId])
        .filter(movie::Column::MovielensId.is_not_null())
        .into_tuple::<(i32, Option<i32>)>()
        .all(db)
        .await
    {
        Ok(rows) => rows
            .into_iter()
            .filter_map(|(id, ml)| Some((id, ml?)))
            .collect(),
        Err(err) => panic!("synthetic movies: {err}"),
    };
    // A fixed, seeded stream (splitmix64) so every run builds the same names.
    let mut state: u64 = 25;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as usize
    };
    let mut records = Vec::with_capacity(synthetic.len() * 5);
    for (id, _) in &synthetic {
        for slot in 0..5 {
            let name = format!(
                "{} {}",
                firsts[next() % firsts.len().max(1)],
                lasts[next() % lasts.len().max(1)]
            );
            let (role, position) = if slot == 0 {
                (CreditRole::Director, 1)
            } else {
                (CreditRole::Cast, slot)
            };
            records.push(CreditRecord {
                movie: *id,
                role,
                position,
                name,
                character: None,
            });
        }
    }
    let ids: HashMap<i32, i32> = synthetic.iter().map(|(id, _)| (*id, *id)).collect();
    if let Err(err) = add_credits(db, &records, &ids).await {
        panic!("credits: {err}");
    }
    // A seed film's overview for each synthetic movie.
    run(
        db,
        &format!(
            "UPDATE movies SET overview = (SELECT s.overview FROM movies s \
             WHERE s.id = {first_seed} + movies.id % {seed_count}) \
             WHERE movielens_id IS NOT NULL"
        ),
    )
    .await;
}
