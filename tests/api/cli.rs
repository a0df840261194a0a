//! The `cinerank` binary itself: help, configuration errors, and a graceful
//! stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{TestDatabase, fixture_dir, write_large_release};

fn cinerank() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cinerank"))
}

#[test]
fn help_lists_the_commands() {
    let output = cinerank().arg("--help").output().expect("run cinerank");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for command in [
        "serve",
        "worker",
        "migrate",
        "seed",
        "generate",
        "import",
        "create-admin",
        "eval",
    ] {
        assert!(text.contains(command), "{text}");
    }
    let output = cinerank()
        .args(["serve", "--help"])
        .output()
        .expect("run cinerank");
    assert!(String::from_utf8_lossy(&output.stdout).contains("--no-seed"));
}

#[test]
fn an_invalid_setting_stops_start_up_naming_the_variable() {
    let output = cinerank()
        .env("PORT", "eighty")
        .arg("migrate")
        .output()
        .expect("run cinerank");
    assert_eq!(output.status.code(), Some(2));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("PORT"), "{text}");
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully_and_secrets_stay_out_of_the_log() {
    let server = Server::start(&[("SHUTDOWN_GRACE_SECONDS", "5")]).await;
    let response = reqwest::get(server.url("/api/v1/movies"))
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    // Sign up and in: neither the password nor the token may reach the log.
    let client = reqwest::Client::new();
    let password = "log-canary password 7731";
    let registered: serde_json::Value = client
        .post(server.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "logged", "email": "logged@example.org", "password": password}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let token = registered["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let response = client
        .get(server.url("/api/v1/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(response.status(), 200);

    server.terminate();
    let (success, log, _) = server.wait().await;
    assert!(success, "{log:?}");
    assert!(log.iter().any(|l| l.contains("draining")), "{log:?}");
    assert!(
        log.iter().any(|l| l.contains("/api/v1/users/me")),
        "requests are logged: {log:?}"
    );
    assert!(
        !log.iter()
            .any(|l| l.contains(password) || l.contains(&token) || l.contains("$argon2")),
        "{log:?}"
    );
}

#[test]
fn the_shipped_seed_ratings_are_reproduced_by_the_generator() {
    let out = std::env::temp_dir().join(format!("cinerank-generate-{}", std::process::id()));
    let seed = crate::helpers::seed_dir();
    let output = cinerank()
        .arg("generate")
        .arg("--catalog")
        .arg(seed.join("movies.csv"))
        .args([
            "--users",
            "1000",
            "--ratings",
            "100000",
            "--seed",
            "42",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run cinerank generate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = std::fs::read(out.join("ratings.csv")).expect("generated ratings");
    let shipped = std::fs::read(seed.join("ratings.csv")).expect("shipped ratings");
    assert!(
        generated == shipped,
        "seed_data/ratings.csv is not what the generator produces"
    );
    assert!(
        !out.join("movies.csv").exists(),
        "a given catalogue is not rewritten"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[tokio::test]
async fn generate_synthesises_a_catalogue_the_app_can_serve() {
    let out = std::env::temp_dir().join(format!("cinerank-generate-synth-{}", std::process::id()));
    let output = cinerank()
        .args([
            "generate",
            "--users",
            "50",
            "--movies",
            "80",
            "--ratings",
            "1500",
            "--seed",
            "7",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("run cinerank generate");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let movies = std::fs::read_to_string(out.join("movies.csv")).expect("movies.csv");
    assert_eq!(movies.lines().next(), Some("movieId,title,genres"));
    assert_eq!(movies.lines().count(), 81);
    let ratings = std::fs::read_to_string(out.join("ratings.csv")).expect("ratings.csv");
    let rows = ratings.lines().count() - 1;
    assert!((1400..=1600).contains(&rows), "{rows} ratings");
    // The app seeds itself from what the generator wrote.
    let app = crate::helpers::spawn_app_with(Some(out.clone()), &[]).await;
    let (status, body) = app.get_json("/api/v1/movies?per_page=1").await;
    assert_eq!(status, 200);
    assert_eq!(body["total_items"], 80);
    assert!(body["items"][0]["rating_count"].as_i64().unwrap() > 0);
    std::fs::remove_dir_all(&out).ok();
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_can_promote() {
    use std::io::Write;

    let database = TestDatabase::create().await;
    let run = |stdin: &'static str, username: &str| {
        let mut child = cinerank()
            .args([
                "create-admin",
                "--username",
                username,
                "--email",
                "root@example.org",
            ])
            .env("DATABASE_URL", &database.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cinerank");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write");
        child.wait_with_output().expect("wait")
    };
    let output = run("admin password 1\nadmin password 1\n", "root");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("created administrator root"));
    let output = run("one password\nanother password\n", "root2");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("do not match"));
    let output = run("short\n", "root3");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("password"));
    // Promoting an existing account resets its password.
    let output = run("new admin password\n", "ROOT");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("is now an administrator"));

    let settings = crate::helpers::test_settings(&database, None, &[]);
    let app = cinerank::startup::Application::build(settings)
        .await
        .expect("app");
    let port = app.port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&serde_json::json!({"login": "root", "password": "new admin password"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    assert_eq!(login["user"]["role"], "admin", "{login}");
    let users = client
        .get(format!("http://127.0.0.1:{port}/api/v1/admin/users"))
        .bearer_auth(login["access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("admin users");
    assert_eq!(users.status(), 200);
    handle.stop(false).await;
}

#[test]
fn eval_makes_seeded_folds_and_summarises_each_strategy() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let run = || {
        let output = cinerank()
            .args(["eval", "--folds", "2", "--seed", "7", "--json", "--ratings"])
            .arg(dir.join("train.tsv"))
            .arg("--movies")
            .arg(dir.join("movies.csv"))
            .output()
            .expect("run cinerank eval");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let text = run();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let strategies = ["popular", "genre", "collaborative", "hybrid", "rating"];
    // Each fold's lines, then one summary line per strategy.
    assert_eq!(lines.len(), 3 * strategies.len(), "{text}");
    for (i, line) in lines.iter().enumerate() {
        let fold = match i / strategies.len() {
            0 => serde_json::json!(1),
            1 => serde_json::json!(2),
            _ => serde_json::json!("mean"),
        };
        assert_eq!(line["fold"], fold, "{line}");
        assert_eq!(line["strategy"], strategies[i % strategies.len()], "{line}");
    }
    let mean = |key: &str, at: usize| {
        let folds = (lines[at][key].as_f64().unwrap() + lines[at + 5][key].as_f64().unwrap()) / 2.0;
        assert!(
            (lines[at + 10][key].as_f64().unwrap() - folds).abs() < 1e-9,
            "{key}: {text}"
        );
        assert_eq!(lines[at + 10]["folds"], 2);
    };
    mean("ndcg10", 3);
    mean("rmse", 4);
    // The same seed makes the same folds: every score but the timings repeats.
    let scores = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("fit_s");
                v
            })
            .collect()
    };
    assert_eq!(scores(&run()), scores(&text));
}

#[test]
fn eval_reports_every_strategy_and_the_rating_error_as_json() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let output = cinerank()
        .arg("eval")
        .arg("--train")
        .arg(dir.join("train.tsv"))
        .arg("--test")
        .arg(dir.join("test.tsv"))
        .arg("--movies")
        .arg(dir.join("movies.csv"))
        .arg("--json")
        .output()
        .expect("run cinerank eval");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let strategies: Vec<&str> = lines
        .iter()
        .map(|l| l["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        strategies,
        ["popular", "genre", "collaborative", "hybrid", "rating"]
    );
    for line in &lines[..4] {
        // Users 1 and 3 have a relevant (≥ 4) test item; user 2's is a 2, and
        // user 9 is not in TRAIN. With 5 train items every candidate fits in
        // a top 10, so every relevant item is a hit.
        assert_eq!(line["users"], 2, "{line}");
        assert_eq!(line["hit10"], 1.0, "{line}");
        assert_eq!(line["recall10"], 1.0, "{line}");
        assert!(
            (line["precision10"].as_f64().unwrap() - 0.1).abs() < 1e-9,
            "{line}"
        );
        for key in ["ndcg10", "coverage10", "fit_s"] {
            assert!(
                line[key].as_f64().is_some_and(|v| v >= 0.0),
                "{key}: {line}"
            );
        }
    }
    // Unseen users and movies are predicted from baselines, not skipped.
    let rating = &lines[4];
    let rmse = rating["rmse"].as_f64().unwrap();
    assert!(rmse > 0.0 && rmse < 4.5, "{rating}");
    assert!(rating["mae"].as_f64().unwrap() <= rmse);
}

/// A `cinerank serve` child process on its own database.
struct Server {
    child: std::process::Child,
    port: u16,
    log: std::thread::JoinHandle<Vec<String>>,
    database: TestDatabase,
}

impl Server {
    async fn start(env: &[(&str, &str)]) -> Server {
        let database = TestDatabase::create().await;
        let mut command = cinerank();
        command
            .arg("serve")
            .env("DATABASE_URL", &database.url)
            .env("PORT", "0")
            .env("SEED_DIR", fixture_dir())
            .env("RUST_LOG", "info")
            .env("JWT_SECRET", crate::helpers::TEST_JWT_SECRET)
            .env("AUTH_RATE_LIMIT_PER_MIN", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start cinerank");
        let stderr = child.stderr.take().expect("stderr");
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let log = std::thread::spawn(move || {
            let mut log = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = line.split("listening on port ").nth(1) {
                    let digits: String = port.chars().take_while(char::is_ascii_digit).collect();
                    let _ = port_tx.send(digits.parse::<u16>().unwrap_or(0));
                }
                log.push(line);
            }
            log
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server reports its port");
        Server {
            child,
            port,
            log,
            database,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the exit; returns its success and the log.
    async fn wait(mut self) -> (bool, Vec<String>, TestDatabase) {
        let started = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                break exit;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "server did not stop"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        (exit.success(), self.log.join().expect("log"), self.database)
    }
}

/// Waits until the server has taken in `expected` requests besides its
/// `/metrics` polls (answered or in flight), so that a stop finds them
/// accepted rather than still queued in the kernel, which a busy machine
/// makes likely and which no graceful stop can save.
async fn wait_until_received(client: &reqwest::Client, server: &Server, expected: usize) {
    let started = Instant::now();
    loop {
        let text = client
            .get(server.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let value = |line: &str| {
            line.rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let answered: f64 = text
            .lines()
            .filter(|l| l.starts_with("cinerank_http_request_duration_seconds_count{"))
            .filter(|l| !l.contains("route=\"/metrics\""))
            .map(value)
            .sum();
        // Less the poll itself.
        let in_flight: f64 = text
            .lines()
            .filter(|l| l.starts_with("cinerank_http_requests_in_flight "))
            .map(value)
            .sum::<f64>()
            - 1.0;
        if answered + in_flight >= expected as f64 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server took in {answered} + {in_flight} of {expected} requests"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn sigterm_under_load_lets_every_in_flight_request_finish_and_loses_no_write() {
    let server = Server::start(&[("SHUTDOWN_GRACE_SECONDS", "20")]).await;
    let client = reqwest::Client::new();
    let registered: serde_json::Value = client
        .post(server.url("/api/v1/auth/register"))
        .json(&serde_json::json!({"username": "loaded", "email": "loaded@example.org", "password": "load test password"}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let token = registered["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let user_id = registered["user"]["id"].as_i64().expect("id");
    let movies: serde_json::Value = client
        .get(server.url("/api/v1/movies?per_page=100"))
        .send()
        .await
        .expect("movies")
        .json()
        .await
        .expect("json");
    let movie_ids: Vec<i64> = movies["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["id"].as_i64().expect("id"))
        .collect();

    // Slow requests (Argon2 logins) and writes, all in flight at once.
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let request = client
            .post(server.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"login": "loaded", "password": "load test password"}));
        tasks.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().as_u16())
        }));
    }
    for id in &movie_ids {
        let request = client
            .put(server.url(&format!("/api/v1/movies/{id}/rating")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"rating": 4.5}));
        tasks.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().as_u16())
        }));
    }
    // The register and the movie list came first.
    wait_until_received(&client, &server, 2 + tasks.len()).await;
    server.terminate();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(
            task.await
                .expect("task")
                .expect("no request may fail during a graceful stop"),
        );
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    let (success, log, database) = server.wait().await;
    assert!(success, "{log:?}");
    assert!(log.iter().any(|l| l.contains("draining")), "{log:?}");

    // Every write is in the database.
    let db = sea_orm::Database::connect(&database.url)
        .await
        .expect("connect");
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let stored = entity::rating::Entity::find()
        .filter(entity::rating::Column::UserId.eq(i32::try_from(user_id).unwrap()))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(stored as usize, movie_ids.len());
    db.close().await.ok();
}

#[tokio::test]
async fn json_logs_carry_one_structured_line_per_request() {
    let server = Server::start(&[("LOG_FORMAT", "json")]).await;
    let response = reqwest::Client::new()
        .get(server.url("/api/v1/movies?per_page=2"))
        .header("x-request-id", "json-log-check")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    server.terminate();
    let (_, log, _) = server.wait().await;
    let lines: Vec<serde_json::Value> = log
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let request = lines
        .iter()
        .find(|l| l["request_id"] == "json-log-check")
        .unwrap_or_else(|| panic!("no request line in {log:?}"));
    assert_eq!(request["target"], "cinerank::http");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/api/v1/movies");
    assert_eq!(request["status"], 200);
    assert!(request["latency_ms"].is_number());
    assert!(request["ts"].is_string() && request["level"] == "INFO");
}

#[tokio::test]
async fn import_movielens_loads_a_release_and_reports_what_changed() {
    let database = TestDatabase::create().await;
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens/csv");
    let run = || {
        cinerank()
            .args(["import", "movielens"])
            .arg(&dir)
            .env("DATABASE_URL", &database.url)
            .output()
            .expect("run cinerank import")
    };
    let output = run();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("4 movies added") && text.contains("5 ratings written"),
        "{text}"
    );
    let again = run();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(
        text.contains("0 movies added") && text.contains("0 ratings written"),
        "{text}"
    );
    let missing = cinerank()
        .args(["import", "movielens", "/nonexistent/folder"])
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run cinerank import");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no MovieLens layout"));
    // The summary lists the anomalies it repaired.
    let output = run();
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        errors.contains("repaired 1 × article_moved (e.g. movies.csv:4 movieId 3"),
        "{errors}"
    );
}

#[tokio::test]
async fn a_database_error_during_an_import_is_one_line_naming_what_was_written() {
    use sea_orm::Database;
    let database = TestDatabase::create().await;
    let migrate = cinerank()
        .arg("migrate")
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run cinerank migrate");
    assert!(migrate.status.success());
    let db = Database::connect(&database.url).await.unwrap();
    // A trigger stands in for any refusal by the database.
    crate::helpers::refuse_movie_titled(&db, "Jumanji").await;
    db.close().await.unwrap();
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens/csv");
    let output = cinerank()
        .args(["import", "movielens"])
        .arg(&dir)
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run cinerank import");
    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    let line = errors
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("{errors}"));
    assert!(
        line.contains("database error while writing")
            && line.contains("movies.csv:2-5 (movieIds 1–4)"),
        "{line}"
    );
    assert_eq!(line.matches("refused by the test").count(), 1, "{line}");
}

async fn catalogue_counts(url: &str) -> (u64, u64, u64, i64) {
    use entity::{movie, rating, user};
    use sea_orm::{Database, EntityTrait, PaginatorTrait};
    let db = Database::connect(url).await.unwrap();
    let movies = movie::Entity::find().count(&db).await.unwrap();
    let ratings = rating::Entity::find().count(&db).await.unwrap();
    let users = user::Entity::find().count(&db).await.unwrap();
    let aggregate: i64 = movie::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .iter()
        .map(|m| i64::from(m.rating_count))
        .sum();
    db.close().await.unwrap();
    (movies, ratings, users, aggregate)
}

#[tokio::test]
async fn a_killed_import_leaves_the_previous_state_and_can_be_run_again() {
    let database = TestDatabase::create().await;
    let small =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/movielens/csv");
    let status = cinerank()
        .args(["import", "movielens"])
        .arg(&small)
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run cinerank import");
    assert!(status.status.success());
    let before = catalogue_counts(&database.url).await;
    assert_eq!(before, (4, 5, 3, 5));

    let big = std::env::temp_dir().join(format!("cinerank-import-kill-{}", std::process::id()));
    write_large_release(&big, 1_200, 500);
    let mut child = cinerank()
        .args(["import", "movielens"])
        .arg(&big)
        .env("DATABASE_URL", &database.url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cinerank import");
    // Kill it once ratings are streaming in, i.e. after its transaction has
    // written movies and accounts.
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().expect("the import reports progress").unwrap();
        if line.contains("import: ratings") {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import finished before it could be killed: make the release bigger"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        catalogue_counts(&database.url).await,
        before,
        "nothing of the killed import is visible"
    );

    // Run again: it completes (PostgreSQL's lock and staging table of the
    // killed run are gone or cleaned up) and stores the whole release.
    let output = cinerank()
        .args(["import", "movielens"])
        .arg(&big)
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run cinerank import");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (movies, ratings, users, aggregate) = catalogue_counts(&database.url).await;
    assert_eq!(movies, 1000, "movies 1-4 of the first import were updated");
    assert_eq!(users, 1_200, "users 1-3 of the first import were reused");
    let big_has = |u: u32, m: u32| (0..500).any(|k| (u * 7 + k * 13) % 1000 + 1 == m);
    let first_only = [(1, 1), (1, 3), (2, 1), (2, 2), (3, 4)]
        .into_iter()
        .filter(|&(u, m)| !big_has(u, m))
        .count() as u64;
    assert_eq!(ratings, 600_000 + first_only);
    assert_eq!(aggregate, ratings as i64);
    std::fs::remove_dir_all(&big).ok();
}
