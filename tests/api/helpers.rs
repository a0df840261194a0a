//! `spawn_app()` and the typed helpers every test uses.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use actix_web::dev::ServerHandle;
use cinerank::config::Settings;
use cinerank::startup::Application;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;

/// The signing secret of every test app, so tests can mint tokens.
pub const TEST_JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

/// The hand-written catalogue most tests run on (11 movies, 28 ratings).
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog")
}

/// The real seed data shipped with cinerank.
pub fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seed_data")
}

/// A database of its own for one test, dropped (Postgres) or deleted
/// (SQLite) when the test ends.
pub struct TestDatabase {
    /// URL the app connects to.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "cinerank_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

impl TestDatabase {
    /// Creates an empty database on the backend under test.
    pub async fn create() -> TestDatabase {
        // Every test makes its database before any HTTP client, and reqwest
        // needs the process's TLS crypto provider to build one.
        cinerank::services::enrich::install_tls_crypto_provider();
        let name = unique_name();
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("TEST_DATABASE_URL has a database path");
                TestDatabase {
                    url: format!("{base}/{name}"),
                    cleanup: Cleanup::PostgresDatabase { admin_url, name },
                }
            }
            _ => {
                let dir = std::env::temp_dir().join("cinerank-tests");
                std::fs::create_dir_all(&dir).expect("create temp dir");
                let path = dir.join(format!("{name}.db"));
                TestDatabase {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Cleanup::SqliteFile(path),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread of our own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            admin.close().await.ok();
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A running application and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// HTTP client (no redirects followed, so redirects can be asserted).
    pub client: reqwest::Client,
    /// A direct connection to the app's database.
    pub db: DatabaseConnection,
    /// The running app's state (its change feed, say).
    pub state: actix_web::web::Data<cinerank::state::AppState>,
    handle: ServerHandle,
    /// The database, when this app owns it (not when it is one instance
    /// of several on a shared database).
    _database: Option<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the workers wind down on their own.
        drop(self.handle.stop(false));
    }
}

/// Settings for a test app on `database`, seeded from `seed_dir`, with
/// `overrides` applied on top.
pub fn test_settings(
    database: &TestDatabase,
    seed_dir: Option<PathBuf>,
    overrides: &[(&str, &str)],
) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database.url.clone()),
        ("PORT".into(), "0".into()),
        ("WORKERS".into(), "2".into()),
        ("JWT_SECRET".into(), TEST_JWT_SECRET.into()),
        ("AUTH_RATE_LIMIT_PER_MIN".into(), "0".into()),
        // Hundreds of test apps share one PostgreSQL server: each opens
        // connections as it needs them instead of a full pool at start.
        ("DB_MIN_CONNECTIONS".into(), "1".into()),
        ("SEED_ON_START".into(), seed_dir.is_some().to_string()),
        (
            "SEED_DIR".into(),
            seed_dir.unwrap_or_default().display().to_string(),
        ),
    ]);
    for (key, value) in overrides {
        vars.insert((*key).into(), (*value).into());
    }
    Settings::from_lookup(|name| vars.get(name).cloned()).expect("valid test settings")
}

/// Spawns the app on the hand-written fixture catalogue.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Some(fixture_dir()), &[]).await
}

/// Spawns the app seeded from `seed_dir` (or empty), with extra settings.
pub async fn spawn_app_with(seed_dir: Option<PathBuf>, overrides: &[(&str, &str)]) -> TestApp {
    let database = TestDatabase::create().await;
    let mut app = spawn_instance(&database, seed_dir, overrides).await;
    app._database = Some(database);
    app
}

/// Spawns one more instance of the app on `database` (which the caller
/// keeps alive), as a second server of a scaled-out deployment.
pub async fn spawn_instance(
    database: &TestDatabase,
    seed_dir: Option<PathBuf>,
    overrides: &[(&str, &str)],
) -> TestApp {
    let settings = test_settings(database, seed_dir, overrides);
    let app = Application::build(settings)
        .await
        .expect("application starts");
    let port = app.port();
    let handle = app.handle();
    let state = app.state();
    let db = state.db.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        state,
        handle,
        _database: None,
    }
}

impl TestApp {
    /// GET a path; returns status and parsed JSON (Null when not JSON).
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request succeeds");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends any request; returns the raw response.
    pub async fn request(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.client
            .request(method, format!("{}{path}", self.address))
            .send()
            .await
            .expect("request succeeds")
    }

    /// The fixture's movie id for a title (ids are assigned by the database).
    pub async fn movie_id(&self, title: &str) -> i64 {
        let (_, body) = self
            .get_json("/api/v1/movies?per_page=100&sort=title")
            .await;
        body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|m| m["title"] == title))
            .and_then(|m| m["id"].as_i64())
            .unwrap_or_else(|| panic!("no movie titled {title}"))
    }
}

/// `items[].title` of a list response.
pub fn titles(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .expect("items array")
        .iter()
        .map(|m| m["title"].as_str().expect("title").to_owned())
        .collect()
}

/// Asserts the error envelope with the given status and code; returns the body.
pub async fn assert_error(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content-type {content_type}"
    );
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// A signed-in account made for a test.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// Account id.
    pub id: i64,
    /// Bearer token.
    pub token: String,
}

impl TestApp {
    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request succeeds")
    }

    /// Asks for a retrain as `admin_token` and waits (up to `within`) until
    /// `/admin/model` reports a version other than `before`'s; returns the
    /// retrain answer and the new model's description.
    pub async fn retrain_and_wait(
        &self,
        admin_token: &str,
        before: &Value,
        within: std::time::Duration,
    ) -> (Value, Value) {
        let (status, accepted) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/admin/model/retrain",
                Some(admin_token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        let started = std::time::Instant::now();
        loop {
            let (_, now) = self
                .call(
                    reqwest::Method::GET,
                    "/api/v1/admin/model",
                    Some(admin_token),
                    None,
                )
                .await;
            if now["version"] != before["version"] {
                return (accepted, now);
            }
            assert!(started.elapsed() < within, "no new model");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Like [`TestApp::send`], returning status and JSON (Null when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let response = self.send(method, path, token, body).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Waits until `/ready` answers 200 (the first model is trained).
    pub async fn wait_until_ready(&self) {
        let started = std::time::Instant::now();
        loop {
            let (status, _) = self.get_json("/ready").await;
            if status == StatusCode::OK {
                return;
            }
            // Generous: the seed model trains in seconds alone, but CI runs
            // many such tests at once on two cores.
            assert!(
                started.elapsed() < std::time::Duration::from_secs(180),
                "the model was not trained within 180 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Starts a request on its own task (for concurrency tests); yields the status.
    pub fn spawn_request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> tokio::task::JoinHandle<StatusCode> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        tokio::spawn(async move { request.send().await.expect("request succeeds").status() })
    }

    /// Registers through the API (with a real password hash).
    pub async fn register(&self, username: &str, genres: &[&str]) -> TestUser {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/register",
                None,
                Some(serde_json::json!({
                    "username": username,
                    "email": format!("{username}@example.org"),
                    "password": "correct horse battery",
                    "preferred_genres": genres,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        TestUser {
            id: body["user"]["id"].as_i64().expect("id"),
            token: body["access_token"].as_str().expect("token").to_owned(),
        }
    }

    /// Creates an account straight in the database (no password hashing,
    /// so hundreds are cheap) and mints its token.
    pub async fn create_user(&self, username: &str, role: &str) -> TestUser {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let now = chrono::Utc::now();
        let created = entity::user::ActiveModel {
            username: Set(username.to_owned()),
            email: Set(Some(format!("{username}@example.org"))),
            password_hash: Set(None),
            role: Set(role.to_owned()),
            external_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            // Set, as the service does (see `insert_account`): SQLite's
            // RETURNING can answer NULL for a default added by ALTER TABLE.
            session_version: Set(0),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("insert user");
        TestUser {
            id: i64::from(created.id),
            token: mint_token(created.id, role, std::time::Duration::from_secs(3600)),
        }
    }
}

/// A token signed with the test apps' secret.
pub fn mint_token(user_id: i32, role: &str, lifetime: std::time::Duration) -> String {
    cinerank::auth::jwt::JwtKeys::new(TEST_JWT_SECRET.as_bytes(), lifetime)
        .issue(
            user_id,
            cinerank::auth::Role::parse(role).expect("a role name"),
            0,
        )
        .expect("token")
}

/// Writes a MovieLens-layout release big enough that importing it takes a
/// few seconds: `users` users each rating `per_user` of 1,000 movies.
pub fn write_large_release(dir: &std::path::Path, users: u32, per_user: u32) {
    use std::io::Write;
    std::fs::create_dir_all(dir).unwrap();
    let mut movies = String::from("movieId,title,genres\n");
    for m in 1..=1000 {
        movies.push_str(&format!("{m},Generated Film {m} (2001),Drama|Comedy\n"));
    }
    std::fs::write(dir.join("movies.csv"), movies).unwrap();
    let file = std::fs::File::create(dir.join("ratings.csv")).unwrap();
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "userId,movieId,rating,timestamp").unwrap();
    for u in 1..=users {
        for k in 0..per_user {
            let movie = (u * 7 + k * 13) % 1000 + 1;
            let half_stars = (u + k) % 10 + 1;
            writeln!(
                out,
                "{u},{movie},{}.{},{}",
                half_stars / 2,
                if half_stars % 2 == 1 { 5 } else { 0 },
                1_000_000_000 + u64::from(k)
            )
            .unwrap();
        }
    }
    out.flush().unwrap();
}

/// Makes the database refuse to insert a movie with this title.
pub async fn refuse_movie_titled(db: &sea_orm::DatabaseConnection, title: &str) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let statements = match db.get_database_backend() {
        DbBackend::Postgres => vec![
            "CREATE FUNCTION refuse_movie() RETURNS trigger AS $$ BEGIN \
               RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql"
                .to_owned(),
            format!(
                "CREATE TRIGGER refuse BEFORE INSERT ON movies FOR EACH ROW \
                 WHEN (NEW.title = '{title}') EXECUTE FUNCTION refuse_movie()"
            ),
        ],
        _ => vec![format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON movies WHEN NEW.title = '{title}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
    };
    for sql in statements {
        db.execute_unprepared(&sql).await.unwrap();
    }
}
