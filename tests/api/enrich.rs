//! `cinerank enrich tmdb`, run as the real binary against a stand-in TMDB
//! server on 127.0.0.1 that answers in TMDB v3's shapes: details (with
//! runtime, and with credits when `append_to_response=credits` asks for
//! them), 404s, 401 for a wrong key, a 429 with `Retry-After`, 503s and a
//! movie that always fails.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use entity::movie;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel,
};
use serde_json::{Value, json};

use crate::helpers::{TestDatabase, test_settings};

/// The key the stand-in accepts.
const API_KEY: &str = "stand-in-key-8f3a51c2";

/// One scripted answer of the stand-in.
#[derive(Clone, Debug)]
enum Reply {
    /// 200 with this film's details.
    Details(Film),
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// 503.
    Unavailable,
    /// 500.
    ServerError,
}

/// What the stand-in knows of a film.
#[derive(Clone, Debug, Default)]
struct Film {
    overview: &'static str,
    poster_path: Option<&'static str>,
    /// Minutes; 0 is TMDB's "unknown".
    runtime: u32,
    /// `(name, character, order)`, in the order TMDB's array lists them.
    cast: Vec<(&'static str, &'static str, i32)>,
    /// `(name, job)`.
    crew: Vec<(&'static str, &'static str)>,
}

/// A film TMDB knows well: these words and poster, a runtime, a director
/// (crew listed after a producer) and two cast members.
fn film(overview: &'static str, poster_path: Option<&'static str>) -> Reply {
    Reply::Details(Film {
        overview,
        poster_path,
        runtime: 100,
        cast: vec![("Second Lead", "Friend", 1), ("Stand-in Star", "Lead", 0)],
        crew: vec![
            ("A Producer", "Producer"),
            ("Stand-in Director", "Director"),
        ],
    })
}

/// An answer with only these words and poster: no runtime, no credits.
fn sparse(overview: &'static str, poster_path: Option<&'static str>) -> Reply {
    Reply::Details(Film {
        overview,
        poster_path,
        ..Film::default()
    })
}

/// A request the stand-in received.
#[derive(Clone, Debug)]
struct Seen {
    tmdb_id: i32,
    at: Instant,
    language: String,
    /// `append_to_response`.
    append: String,
}

/// What the stand-in answers and what it has seen. Requests for an id
/// without a script get TMDB's 404; the n-th request for an id gets the
/// n-th reply of its script (the last one repeats).
struct StandInState {
    scripts: HashMap<i32, Vec<Reply>>,
    seen: Mutex<Vec<Seen>>,
    rejected: AtomicUsize,
}

/// The stand-in TMDB server.
struct StandIn {
    base_url: String,
    state: Arc<StandInState>,
    handle: actix_web::dev::ServerHandle,
}

impl StandIn {
    fn start(scripts: HashMap<i32, Vec<Reply>>) -> StandIn {
        let state = Arc::new(StandInState {
            scripts,
            seen: Mutex::new(Vec::new()),
            rejected: AtomicUsize::new(0),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/3/movie/{id}", web::get().to(movie_details))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        StandIn {
            base_url: format!("http://127.0.0.1:{port}/3"),
            state,
            handle,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests received per TMDB id.
    fn counts(&self) -> HashMap<i32, usize> {
        let mut counts = HashMap::new();
        for seen in self.seen() {
            *counts.entry(seen.tmdb_id).or_default() += 1;
        }
        counts
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn movie_details(
    path: web::Path<i32>,
    query: web::Query<HashMap<String, String>>,
    state: web::Data<StandInState>,
) -> HttpResponse {
    let tmdb_id = path.into_inner();
    if query.get("api_key").map(String::as_str) != Some(API_KEY) {
        state.rejected.fetch_add(1, Ordering::Relaxed);
        return HttpResponse::Unauthorized().json(json!({
            "status_code": 7,
            "status_message": "Invalid API key: You must be granted a valid key.",
            "success": false
        }));
    }
    let count = {
        let mut seen = state.seen.lock().unwrap();
        seen.push(Seen {
            tmdb_id,
            at: Instant::now(),
            language: query.get("language").cloned().unwrap_or_default(),
            append: query.get("append_to_response").cloned().unwrap_or_default(),
        });
        seen.iter().filter(|s| s.tmdb_id == tmdb_id).count()
    };
    let Some(script) = state.scripts.get(&tmdb_id) else {
        return HttpResponse::NotFound().json(json!({
            "status_code": 34,
            "status_message": "The resource you requested could not be found.",
            "success": false
        }));
    };
    match &script[(count - 1).min(script.len() - 1)] {
        Reply::Details(film) => {
            let mut body = json!({
                "adult": false,
                "genres": [{"id": 16, "name": "Animation"}],
                "id": tmdb_id,
                "imdb_id": "tt0114709",
                "original_title": "Stand-in",
                "overview": film.overview,
                "poster_path": film.poster_path,
                "release_date": "1995-10-30",
                "runtime": film.runtime,
                "title": "Stand-in",
                "vote_average": 7.9,
                "vote_count": 17000
            });
            // Like TMDB, credits only when appended to the request.
            let append = query.get("append_to_response").map(String::as_str);
            if append.is_some_and(|a| a.split(',').any(|part| part == "credits")) {
                let cast: Vec<Value> = (film.cast.iter().enumerate())
                    .map(|(i, (name, character, order))| {
                        json!({"id": 1000 + i, "cast_id": i, "credit_id": format!("c{i}"),
                               "known_for_department": "Acting", "name": name,
                               "character": character, "order": order})
                    })
                    .collect();
                let crew: Vec<Value> = (film.crew.iter().enumerate())
                    .map(|(i, (name, job))| {
                        json!({"id": 2000 + i, "credit_id": format!("w{i}"),
                               "department": if *job == "Director" { "Directing" } else { "Production" },
                               "name": name, "job": job})
                    })
                    .collect();
                body["credits"] = json!({"id": tmdb_id, "cast": cast, "crew": crew});
            }
            HttpResponse::Ok().json(body)
        }
        Reply::TooManyRequests => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1"))
            .json(json!({
                "status_code": 25,
                "status_message": "Your request count (41) is over the allowed limit of 40.",
                "success": false
            })),
        Reply::Unavailable => HttpResponse::ServiceUnavailable().json(json!({
            "status_code": 11,
            "status_message": "Internal error: Something went wrong, contact TMDb.",
            "success": false
        })),
        Reply::ServerError => HttpResponse::InternalServerError().finish(),
    }
}

/// A migrated, empty database of the backend under test.
async fn database() -> (TestDatabase, DatabaseConnection) {
    let database = TestDatabase::create().await;
    let settings = test_settings(&database, None, &[]);
    let db = cinerank::startup::prepare_database(&settings, false)
        .await
        .unwrap();
    (database, db)
}

async fn insert_movie(
    db: &DatabaseConnection,
    title: &str,
    tmdb_id: Option<i32>,
    poster_url: Option<&str>,
    overview: Option<&str>,
) -> i32 {
    let now = chrono::Utc::now();
    movie::ActiveModel {
        title: Set(title.to_owned()),
        title_search: Set(title.to_lowercase()),
        // As the catalogue writes it: search matches titles through this key.
        search_key: Set(migration::search_key(title)),
        year: Set(Some(1995)),
        overview: Set(overview.map(str::to_owned)),
        poster_url: Set(poster_url.map(str::to_owned)),
        imdb_id: Set(None),
        tmdb_id: Set(tmdb_id),
        movielens_id: Set(None),
        rating_count: Set(0),
        rating_sum: Set(0),
        avg_rating: Set(0.0),
        price: Set(None),
        stock: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap()
    .id
}

async fn poster_and_overview(db: &DatabaseConnection, id: i32) -> (Option<String>, Option<String>) {
    let movie = movie::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    (movie.poster_url, movie.overview)
}

/// Gives a movie a runtime and credits, so it lacks nothing TMDB could add
/// besides what the caller left out.
async fn give_runtime_and_credits(
    db: &DatabaseConnection,
    id: i32,
    runtime: Option<i32>,
    directors: &[&str],
    cast: &[&str],
) {
    let movie = movie::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let mut active = movie.into_active_model();
    active.runtime_minutes = Set(runtime);
    active.update(db).await.unwrap();
    let owned = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    cinerank::services::catalog::credits::add_named_credits(
        db,
        id,
        &owned(directors),
        &owned(cast),
    )
    .await
    .unwrap();
}

/// The movie's runtime and its credits as `(role, position, name, character)`,
/// directors first.
async fn runtime_and_credits(
    db: &DatabaseConnection,
    id: i32,
) -> (Option<i32>, Vec<(String, i32, String, Option<String>)>) {
    let movie = movie::Entity::find_by_id(id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let credits = cinerank::services::catalog::credits_of(db, &[id])
        .await
        .unwrap()
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.role.name().to_owned(), c.position, c.name, c.character))
        .collect();
    (movie.runtime_minutes, credits)
}

/// A state file of its own for one test.
fn state_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join("cinerank-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "enrich-state-{name}-{}-{}.tsv",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// Runs `cinerank enrich tmdb ARGS` off the async runtime (the stand-in
/// must keep answering); returns the output and how long it took.
async fn enrich(
    database: &TestDatabase,
    base_url: &str,
    api_key: Option<&str>,
    args: &[&str],
) -> (Output, Duration) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cinerank"));
    command
        .args(["enrich", "tmdb"])
        .args(args)
        .env("DATABASE_URL", &database.url)
        .env("TMDB_API_BASE_URL", base_url)
        .env("RUST_LOG", "debug")
        .env_remove("TMDB_API_KEY")
        .env_remove("TMDB_IMAGE_BASE_URL");
    if let Some(key) = api_key {
        command.env("TMDB_API_KEY", key);
    }
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let output = command.output().expect("run cinerank enrich tmdb");
        (output, started.elapsed())
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The summary line's counts, by label: `6 fetched` gives `fetched` → 6.
fn summary_counts(output: &Output) -> HashMap<String, u64> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("enrich tmdb:"))
        .unwrap_or_else(|| panic!("no summary in {}", text(output)));
    [
        "fetched",
        "updated",
        "given credits",
        "not found",
        "failed",
        "skipped",
        "requests",
    ]
    .into_iter()
    .map(|label| {
        let at = line
            .find(&format!(" {label}"))
            .unwrap_or_else(|| panic!("no `{label}` in {line}"));
        let digits = line[..at]
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or_default();
        (label.to_owned(), digits.parse().unwrap())
    })
    .collect()
}

const POSTERS: &str = "https://image.tmdb.org/t/p/w500";

#[tokio::test]
async fn enrich_fills_missing_data_retries_429_and_5xx_and_a_rerun_asks_only_what_is_left() {
    let stand_in = StandIn::start(HashMap::from([
        (862, vec![film("A cowboy doll.", Some("/toy.jpg"))]),
        (
            8844,
            vec![
                Reply::TooManyRequests,
                film("A board game.", Some("/jumanji.jpg")),
            ],
        ),
        (
            949,
            vec![Reply::Unavailable, film("A heist.", Some("/heat.jpg"))],
        ),
        (11, vec![film("Not asked.", Some("/no.jpg"))]),
        (12, vec![film("TMDB's words.", Some("/half.jpg"))]),
        (13, vec![sparse("", None)]),
        (14, vec![sparse("Only words.", None)]),
        (15, vec![Reply::ServerError]),
    ]));
    let (database, db) = database().await;
    let toy = insert_movie(&db, "Toy Story", Some(862), None, None).await;
    let jumanji = insert_movie(&db, "Jumanji", Some(8844), None, None).await;
    let heat = insert_movie(&db, "Heat", Some(949), None, None).await;
    let ghost = insert_movie(&db, "Unknown to TMDB", Some(999_999), None, None).await;
    let complete = insert_movie(
        &db,
        "Star Wars",
        Some(11),
        Some("https://example.org/sw.jpg"),
        Some("Ours."),
    )
    .await;
    give_runtime_and_credits(
        &db,
        complete,
        Some(121),
        &["George Lucas"],
        &["Mark Hamill"],
    )
    .await;
    let untracked = insert_movie(&db, "No TMDB id", None, None, None).await;
    let half = insert_movie(&db, "Half", Some(12), None, Some("Our own words.")).await;
    let blank = insert_movie(&db, "Blank", Some(13), None, None).await;
    let words = insert_movie(&db, "Words", Some(14), None, None).await;
    let broken = insert_movie(&db, "Broken", Some(15), None, None).await;
    let state = state_file("rerun");
    let state_arg = state.display().to_string();
    let args = [
        "--rate",
        "20",
        "--max-attempts",
        "3",
        "--state",
        state_arg.as_str(),
    ];

    let (output, _) = enrich(&database, &stand_in.base_url, Some(API_KEY), &args).await;
    assert!(output.status.success(), "{}", text(&output));
    assert!(!text(&output).contains(API_KEY), "{}", text(&output));
    let counts = summary_counts(&output);
    assert_eq!(counts["fetched"], 6, "{counts:?}");
    assert_eq!(counts["updated"], 5, "{counts:?}");
    assert_eq!(counts["given credits"], 4, "{counts:?}");
    assert_eq!(counts["not found"], 1, "{counts:?}");
    assert_eq!(counts["failed"], 1, "{counts:?}");
    assert_eq!(counts["skipped"], 0, "{counts:?}");
    assert_eq!(counts["requests"], 12, "{counts:?}");
    let asked = stand_in.counts();
    assert_eq!(
        asked,
        HashMap::from([
            (862, 1),
            (8844, 2),
            (949, 2),
            (999_999, 1),
            (12, 1),
            (13, 1),
            (14, 1),
            (15, 3),
        ]),
        "a movie lacking nothing (11) or without a TMDB id is never asked"
    );
    assert!(stand_in.seen().iter().all(|s| s.language == "en-US"));
    assert!(
        stand_in.seen().iter().all(|s| s.append == "credits"),
        "credits come in the same request"
    );
    // The 429's Retry-After: 1 was waited out before the retry.
    let jumanji_requests: Vec<Instant> = stand_in
        .seen()
        .iter()
        .filter(|s| s.tmdb_id == 8844)
        .map(|s| s.at)
        .collect();
    assert!(jumanji_requests[1] - jumanji_requests[0] >= Duration::from_secs(1));

    let poster = |name: &str| Some(format!("{POSTERS}/{name}"));
    let words_of = |s: &str| Some(s.to_owned());
    assert_eq!(
        poster_and_overview(&db, toy).await,
        (poster("toy.jpg"), words_of("A cowboy doll."))
    );
    assert_eq!(
        poster_and_overview(&db, jumanji).await,
        (poster("jumanji.jpg"), words_of("A board game."))
    );
    assert_eq!(
        poster_and_overview(&db, heat).await,
        (poster("heat.jpg"), words_of("A heist."))
    );
    assert_eq!(poster_and_overview(&db, ghost).await, (None, None));
    assert_eq!(
        poster_and_overview(&db, complete).await,
        (
            Some("https://example.org/sw.jpg".to_owned()),
            words_of("Ours.")
        )
    );
    assert_eq!(poster_and_overview(&db, untracked).await, (None, None));
    assert_eq!(
        poster_and_overview(&db, half).await,
        (poster("half.jpg"), words_of("Our own words.")),
        "a field already set is kept"
    );
    assert_eq!(poster_and_overview(&db, blank).await, (None, None));
    assert_eq!(
        poster_and_overview(&db, words).await,
        (None, words_of("Only words."))
    );
    assert_eq!(poster_and_overview(&db, broken).await, (None, None));
    let stand_in_credits = || {
        vec![
            (
                "director".to_owned(),
                1,
                "Stand-in Director".to_owned(),
                None,
            ),
            (
                "cast".to_owned(),
                1,
                "Stand-in Star".to_owned(),
                Some("Lead".to_owned()),
            ),
            (
                "cast".to_owned(),
                2,
                "Second Lead".to_owned(),
                Some("Friend".to_owned()),
            ),
        ]
    };
    for id in [toy, jumanji, heat, half] {
        assert_eq!(
            runtime_and_credits(&db, id).await,
            (Some(100), stand_in_credits()),
            "{id}"
        );
    }
    for id in [ghost, untracked, blank, words, broken] {
        assert_eq!(
            runtime_and_credits(&db, id).await,
            (None, Vec::new()),
            "{id}"
        );
    }

    // Second run: the 404, the empty answer and the poster-less answer are
    // in the state file; only the movie that failed is asked again.
    let before = stand_in.seen().len();
    let (output, _) = enrich(&database, &stand_in.base_url, Some(API_KEY), &args).await;
    assert!(output.status.success(), "{}", text(&output));
    let counts = summary_counts(&output);
    assert_eq!(counts["fetched"], 0, "{counts:?}");
    assert_eq!(counts["skipped"], 3, "{counts:?}");
    assert_eq!(counts["failed"], 1, "{counts:?}");
    let again: Vec<i32> = stand_in.seen()[before..]
        .iter()
        .map(|s| s.tmdb_id)
        .collect();
    assert_eq!(again, [15, 15, 15]);
    let state_text = std::fs::read_to_string(&state).unwrap();
    assert!(!state_text.contains(API_KEY));
    for line in [
        "999999\ten-US\tnot_found\n",
        "13\ten-US\tno_data\tposter,overview,runtime,credits\n",
        "14\ten-US\tno_data\tposter,runtime,credits\n",
    ] {
        assert!(state_text.contains(line), "{state_text}");
    }

    // Another language is a different question: the state file does not
    // hold it back.
    let other_language = [
        "--language",
        "ko-KR",
        "--max-attempts",
        "1",
        "--state",
        state_arg.as_str(),
    ];
    let before = stand_in.seen().len();
    let (output, _) = enrich(
        &database,
        &stand_in.base_url,
        Some(API_KEY),
        &other_language,
    )
    .await;
    assert!(output.status.success(), "{}", text(&output));
    let mut asked: Vec<i32> = stand_in.seen()[before..]
        .iter()
        .map(|s| s.tmdb_id)
        .collect();
    asked.sort();
    assert_eq!(asked, [13, 14, 15, 999_999]);

    // The service shows what was stored.
    let settings = test_settings(&database, None, &[("MODEL_TRAIN_ON_START", "false")]);
    let app = cinerank::startup::Application::build(settings)
        .await
        .unwrap();
    let port = app.port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let details: Value = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/movies/{toy}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(details["poster_url"], format!("{POSTERS}/toy.jpg"));
    assert_eq!(details["overview"], "A cowboy doll.");
    assert_eq!(details["runtime_minutes"], 100);
    assert_eq!(
        details["directors"][0]["name"], "Stand-in Director",
        "{details}"
    );
    assert_eq!(details["cast"][0]["name"], "Stand-in Star", "{details}");
    assert_eq!(details["cast"][0]["character"], "Lead", "{details}");
    handle.stop(false).await;
    std::fs::remove_file(&state).ok();
}

#[tokio::test]
async fn enrich_stops_on_a_rejected_or_missing_key_without_printing_it() {
    let stand_in = StandIn::start(HashMap::from([(
        862,
        vec![film("A cowboy doll.", Some("/toy.jpg"))],
    )]));
    let (database, db) = database().await;
    let toy = insert_movie(&db, "Toy Story", Some(862), None, None).await;
    insert_movie(&db, "Jumanji", Some(8844), None, None).await;
    insert_movie(&db, "Heat", Some(949), None, None).await;
    let state = state_file("wrong-key");
    let state_arg = state.display().to_string();

    let wrong_key = "wrong-key-canary-5521";
    let (output, _) = enrich(
        &database,
        &stand_in.base_url,
        Some(wrong_key),
        &["--concurrency", "1", "--state", &state_arg],
    )
    .await;
    assert!(!output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TMDB_API_KEY"), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!text(&output).contains(wrong_key), "{}", text(&output));
    let counts = summary_counts(&output);
    assert_eq!(
        (counts["fetched"], counts["requests"]),
        (0, 1),
        "{counts:?}"
    );
    assert_eq!(
        stand_in.state.rejected.load(Ordering::Relaxed),
        1,
        "the first 401 stops the run"
    );
    assert!(stand_in.seen().is_empty());
    assert_eq!(poster_and_overview(&db, toy).await, (None, None));
    assert!(!state.exists(), "a rejected key records nothing");

    let (output, _) = enrich(
        &database,
        &stand_in.base_url,
        None,
        &["--state", &state_arg],
    )
    .await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("TMDB_API_KEY"), "{stderr}");
}

#[tokio::test]
async fn enrich_paces_requests_across_workers_and_honours_the_limit() {
    let tmdb_ids = [101, 102, 103, 104, 105, 106, 107];
    let stand_in = StandIn::start(
        tmdb_ids
            .iter()
            .map(|&id| (id, vec![film("Words.", Some("/p.jpg"))]))
            .collect(),
    );
    let (database, db) = database().await;
    for id in tmdb_ids {
        insert_movie(&db, &format!("Movie {id}"), Some(id), None, None).await;
    }
    let state = state_file("pacing");
    let state_arg = state.display().to_string();
    let (rate, limit) = (5.0, 6);

    let (output, elapsed) = enrich(
        &database,
        &stand_in.base_url,
        Some(API_KEY),
        &[
            "--rate",
            "5",
            "--concurrency",
            "4",
            "--limit",
            "6",
            "--state",
            &state_arg,
        ],
    )
    .await;
    assert!(output.status.success(), "{}", text(&output));
    let seen = stand_in.seen();
    assert_eq!(seen.len(), limit);
    assert_eq!(summary_counts(&output)["updated"], 6);
    // Lower bounds only: N paced requests span at least (N-1)/rate. The
    // first request's own latency (a new connection) is allowed as slack.
    let minimum = Duration::from_secs_f64((limit - 1) as f64 / rate);
    let first = seen.iter().map(|s| s.at).min().unwrap();
    let last = seen.iter().map(|s| s.at).max().unwrap();
    assert!(
        last - first >= minimum - Duration::from_millis(100),
        "{:?}",
        last - first
    );
    assert!(elapsed >= minimum, "{elapsed:?}");
    std::fs::remove_file(&state).ok();
}

#[tokio::test]
async fn a_killed_run_keeps_what_was_answered_and_a_rerun_asks_only_the_rest() {
    let tmdb_ids: Vec<i32> = (201..=208).collect();
    let stand_in = StandIn::start(
        tmdb_ids
            .iter()
            .map(|&id| (id, vec![film("Words.", Some("/p.jpg"))]))
            .collect(),
    );
    let (database, db) = database().await;
    let mut movie_ids = HashMap::new();
    for &id in &tmdb_ids {
        movie_ids.insert(
            id,
            insert_movie(&db, &format!("Movie {id}"), Some(id), None, None).await,
        );
    }
    let state = state_file("killed");
    let state_arg = state.display().to_string();
    let args = ["--rate", "4", "--concurrency", "1", "--state", &state_arg];

    let mut child = Command::new(env!("CARGO_BIN_EXE_cinerank"))
        .args(["enrich", "tmdb"])
        .args(args)
        .env("DATABASE_URL", &database.url)
        .env("TMDB_API_BASE_URL", &stand_in.base_url)
        .env("TMDB_API_KEY", API_KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while stand_in.seen().len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(60), "no requests");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed_after = stand_in.seen().len();
    assert!(killed_after < tmdb_ids.len(), "killed mid-run");

    // Each answer is one transaction: its fields and credits all or none.
    let mut missing = Vec::new();
    for &id in &tmdb_ids {
        let fields = poster_and_overview(&db, movie_ids[&id]).await;
        let (runtime, credits) = runtime_and_credits(&db, movie_ids[&id]).await;
        match (fields, runtime, credits.len()) {
            ((Some(_), Some(_)), Some(100), 3) => {}
            ((None, None), None, 0) => missing.push(id),
            partial => panic!("movie {id} half written: {partial:?}"),
        }
    }
    // Answers written before the kill stay (the first came ≥ 0.5 s before it).
    assert!(missing.len() < tmdb_ids.len(), "{missing:?}");

    let (output, _) = enrich(&database, &stand_in.base_url, Some(API_KEY), &args).await;
    assert!(output.status.success(), "{}", text(&output));
    let mut asked_again: Vec<i32> = stand_in.seen()[killed_after..]
        .iter()
        .map(|s| s.tmdb_id)
        .collect();
    asked_again.sort();
    assert_eq!(
        asked_again, missing,
        "the re-run asks exactly what is missing"
    );
    for &id in &tmdb_ids {
        let (poster, overview) = poster_and_overview(&db, movie_ids[&id]).await;
        assert!(poster.is_some() && overview.is_some(), "{id}");
    }
    std::fs::remove_file(&state).ok();
}

/// *Scream* as TMDB lists it: twelve cast members, not in billing order,
/// and a crew where only one job is "Director".
fn scream() -> Reply {
    Reply::Details(Film {
        overview: "A killer in a mask.",
        poster_path: Some("/scream.jpg"),
        runtime: 111,
        cast: vec![
            ("Henry Winkler", "Principal Himbry", 10),
            ("Neve Campbell", "Sidney Prescott", 0),
            ("Joseph Whipp", "Sheriff Burke", 11),
            ("Courteney Cox", "Gale Weathers", 1),
            ("Skeet Ulrich", "Billy Loomis", 3),
            ("David Arquette", "Dewey Riley", 2),
            ("Liev Schreiber", "Cotton Weary", 9),
            ("Matthew Lillard", "Stu Macher", 4),
            ("Rose McGowan", "Tatum Riley", 5),
            ("Drew Barrymore", "Casey Becker", 7),
            ("Jamie Kennedy", "Randy Meeks", 6),
            ("W. Earl Brown", "Kenny", 8),
        ],
        crew: vec![
            ("Kevin Williamson", "Screenplay"),
            ("Mark Irwin", "Director of Photography"),
            ("Wes Craven", "Director"),
            ("Cary Woods", "Producer"),
        ],
    })
}

#[tokio::test]
async fn enrich_adds_credits_and_runtimes_only_where_missing_and_asks_each_movie_once() {
    let other_credits = || {
        Reply::Details(Film {
            overview: "TMDB's words.",
            poster_path: Some("/other.jpg"),
            runtime: 95,
            cast: vec![("Somebody Else", "Lead", 0), ("Neve Campbell", "Sidney", 1)],
            crew: vec![("Another Director", "Director")],
        })
    };
    let stand_in = StandIn::start(HashMap::from([
        (4232, vec![scream()]),
        (4233, vec![other_credits()]),
        (4234, vec![other_credits()]),
        // Known to TMDB, but without runtime or credits.
        (4235, vec![sparse("Words.", Some("/p.jpg"))]),
        (4236, vec![other_credits()]),
        (4237, vec![other_credits()]),
    ]));
    let (database, db) = database().await;
    let poster = Some("https://example.org/p.jpg");
    // Poster and overview but no runtime or credits: asked for those alone.
    let scream_id = insert_movie(&db, "Scream", Some(4232), poster, Some("Ours.")).await;
    // Credited already (an administrator's, say): kept as they are.
    let sequel = insert_movie(&db, "Scream 2", Some(4233), poster, Some("Ours.")).await;
    give_runtime_and_credits(
        &db,
        sequel,
        None,
        &["Wes Craven"],
        &["David Arquette", "Neve Campbell"],
    )
    .await;
    // A runtime already: kept, the credits added.
    let timed = insert_movie(&db, "Timed", Some(4234), poster, Some("Ours.")).await;
    give_runtime_and_credits(&db, timed, Some(90), &[], &[]).await;
    let uncredited = insert_movie(&db, "Uncredited", Some(4235), poster, Some("Ours.")).await;
    // Answered by an older run that only asked about posters and overviews.
    let legacy = insert_movie(&db, "Legacy", Some(4236), poster, None).await;
    let legacy_done = insert_movie(&db, "Legacy done", Some(4237), None, Some("Ours.")).await;
    give_runtime_and_credits(&db, legacy_done, Some(80), &["Some Director"], &[]).await;
    let state = state_file("credits");
    std::fs::write(
        &state,
        "# an older run\n4236\ten-US\tno_data\n4237\ten-US\tno_data\n",
    )
    .unwrap();
    let state_arg = state.display().to_string();
    let args = ["--rate", "50", "--state", state_arg.as_str()];

    let (output, _) = enrich(&database, &stand_in.base_url, Some(API_KEY), &args).await;
    assert!(output.status.success(), "{}", text(&output));
    let counts = summary_counts(&output);
    assert_eq!(counts["fetched"], 5, "{counts:?}");
    assert_eq!(counts["updated"], 4, "{counts:?}");
    assert_eq!(counts["given credits"], 3, "{counts:?}");
    assert_eq!(
        counts["skipped"], 1,
        "the old line covers what Legacy done lacks: {counts:?}"
    );
    assert_eq!(
        stand_in.counts(),
        HashMap::from([(4232, 1), (4233, 1), (4234, 1), (4235, 1), (4236, 1)])
    );
    assert!(stand_in.seen().iter().all(|s| s.append == "credits"));

    // Billing order from TMDB's `order`, cut to the top ten; the director
    // from the crew, not the director of photography.
    let (runtime, credits) = runtime_and_credits(&db, scream_id).await;
    assert_eq!(runtime, Some(111));
    let billed: Vec<(&str, i32, &str)> = credits
        .iter()
        .map(|(role, position, name, _)| (role.as_str(), *position, name.as_str()))
        .collect();
    assert_eq!(
        billed,
        [
            ("director", 1, "Wes Craven"),
            ("cast", 1, "Neve Campbell"),
            ("cast", 2, "Courteney Cox"),
            ("cast", 3, "David Arquette"),
            ("cast", 4, "Skeet Ulrich"),
            ("cast", 5, "Matthew Lillard"),
            ("cast", 6, "Rose McGowan"),
            ("cast", 7, "Jamie Kennedy"),
            ("cast", 8, "Drew Barrymore"),
            ("cast", 9, "W. Earl Brown"),
            ("cast", 10, "Liev Schreiber"),
        ]
    );
    assert_eq!(credits[1].3.as_deref(), Some("Sidney Prescott"));
    assert_eq!(
        poster_and_overview(&db, scream_id).await,
        (poster.map(str::to_owned), Some("Ours.".to_owned()))
    );
    // Existing credits stay exactly as they were; the runtime is filled.
    let (runtime, credits) = runtime_and_credits(&db, sequel).await;
    assert_eq!(runtime, Some(95));
    assert_eq!(
        credits,
        [
            ("director".to_owned(), 1, "Wes Craven".to_owned(), None),
            ("cast".to_owned(), 1, "David Arquette".to_owned(), None),
            ("cast".to_owned(), 2, "Neve Campbell".to_owned(), None),
        ]
    );
    let (runtime, credits) = runtime_and_credits(&db, timed).await;
    assert_eq!(runtime, Some(90), "a runtime already set is kept");
    assert_eq!(credits.len(), 3, "{credits:?}");
    assert_eq!(
        runtime_and_credits(&db, uncredited).await,
        (None, Vec::new())
    );
    let (runtime, credits) = runtime_and_credits(&db, legacy).await;
    assert_eq!((runtime, credits.len()), (Some(95), 3));
    assert_eq!(
        poster_and_overview(&db, legacy).await,
        (poster.map(str::to_owned), Some("TMDB's words.".to_owned()))
    );
    let (runtime, credits) = runtime_and_credits(&db, legacy_done).await;
    assert_eq!((runtime, credits.len()), (Some(80), 1));
    let state_text = std::fs::read_to_string(&state).unwrap();
    assert!(
        state_text.contains("4235\ten-US\tno_data\truntime,credits\n"),
        "{state_text}"
    );

    // A second run asks nobody: what TMDB had is stored, what it lacks is
    // in the state file (4235 is not asked again for its missing credits).
    let before = stand_in.seen().len();
    let (output, _) = enrich(&database, &stand_in.base_url, Some(API_KEY), &args).await;
    assert!(output.status.success(), "{}", text(&output));
    let counts = summary_counts(&output);
    assert_eq!(
        (counts["fetched"], counts["requests"], counts["skipped"]),
        (0, 0, 2),
        "{counts:?}"
    );
    assert_eq!(stand_in.seen().len(), before);

    // Through the API: the movie's cast and director, the director's page
    // with both films (one person, matched by name), and search by a name
    // that only TMDB's credits brought.
    let settings = test_settings(&database, None, &[("MODEL_TRAIN_ON_START", "false")]);
    let app = cinerank::startup::Application::build(settings)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}/api/v1", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let get = |path: String| async move {
        let response = reqwest::get(path).await.unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.json::<Value>().await.unwrap()
    };
    let details = get(format!("{base}/movies/{scream_id}")).await;
    assert_eq!(details["runtime_minutes"], 111, "{details}");
    let names = |list: &Value| -> Vec<String> {
        (list.as_array().unwrap().iter())
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&details["directors"]), ["Wes Craven"]);
    assert_eq!(
        names(&details["cast"])[..4],
        [
            "Neve Campbell",
            "Courteney Cox",
            "David Arquette",
            "Skeet Ulrich"
        ]
    );
    assert_eq!(details["cast"].as_array().unwrap().len(), 10);
    assert_eq!(details["cast"][1]["character"], "Gale Weathers");
    let wes = details["directors"][0]["id"].as_i64().unwrap();
    let person = get(format!("{base}/people/{wes}")).await;
    let mut films: Vec<&str> = (person["movies"].as_array().unwrap().iter())
        .filter_map(|f| f["movie"]["title"].as_str())
        .collect();
    films.sort_unstable();
    assert_eq!(films, ["Scream", "Scream 2"], "{person}");
    let found = get(format!("{base}/movies?q=skeet%20ulrich")).await;
    assert_eq!(crate::helpers::titles(&found), ["Scream"], "{found}");
    let suggested = get(format!("{base}/search/suggest?q=courteney")).await;
    assert_eq!(suggested[0]["kind"], "person", "{suggested}");
    assert_eq!(suggested[0]["label"], "Courteney Cox", "{suggested}");
    handle.stop(false).await;
    std::fs::remove_file(&state).ok();
}
