//! Issue 16: what an outsider sends must not take the service down, corrupt
//! its invariants or outlive a sign-out. Every test runs on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestDatabase, assert_error, fixture_dir, spawn_app, spawn_app_with, test_settings,
};

fn is_postgres(app: &TestApp) -> bool {
    app.db.get_database_backend() == DbBackend::Postgres
}

/// Asserts a 422 `validation_failed` whose details name `field`.
async fn assert_invalid_field(response: reqwest::Response, field: &str, what: &str) {
    let body = assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["details"][field].is_array(),
        "{what}: expected a problem with `{field}`: {body}"
    );
}

#[tokio::test]
async fn control_characters_in_any_text_input_are_422_on_both_databases() {
    let app = spawn_app().await;
    for query in [
        "q=%00",
        "q=Heat%00",
        "q=a%01b",
        "q=%7F",
        "genre=Drama%00",
        "sort=%00",
    ] {
        let response = app
            .send(Method::GET, &format!("/api/v1/movies?{query}"), None, None)
            .await;
        let field = query.split('=').next().unwrap();
        assert_invalid_field(response, field, query).await;
    }
    // Plain text, accents and other scripts are fine.
    let (status, _) = app
        .get_json("/api/v1/movies?q=Am%C3%A9lie%20%E6%97%A5")
        .await;
    assert_eq!(status, StatusCode::OK);

    let nul = "a\u{0}";
    for (body, field) in [
        (
            json!({"username": "nul_user", "email": "nul\u{0}@example.org", "password": "long enough pw"}),
            "email",
        ),
        (
            json!({"username": "nul_user", "email": "nul@example.org", "password": "long enough\u{0}pw"}),
            "password",
        ),
        (
            json!({"username": nul, "email": "nul@example.org", "password": "long enough pw"}),
            "username",
        ),
    ] {
        for path in ["/api/v1/auth/register", "/api/v1/auth/session/register"] {
            let response = app.send(Method::POST, path, None, Some(body.clone())).await;
            assert_invalid_field(response, field, path).await;
        }
    }
    for path in ["/api/v1/auth/login", "/api/v1/auth/session"] {
        let response = app
            .send(
                Method::POST,
                path,
                None,
                Some(json!({"login": nul, "password": "whatever it is"})),
            )
            .await;
        assert_invalid_field(response, "login", path).await;
    }

    let user = app.register("clean_user", &[]).await;
    let response = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&user.token),
            Some(
                json!({"email": "x\u{0}@example.org", "current_password": "correct horse battery"}),
            ),
        )
        .await;
    assert_invalid_field(response, "email", "PATCH /users/me").await;

    let admin = app.create_user("text_admin", "admin").await;
    let token = Some(admin.token.as_str());
    for (body, field) in [
        (json!({"title": nul}), "title"),
        (json!({"title": "Tab\tTitle"}), "title"),
        (json!({"title": "Fine", "overview": "x\u{0}y"}), "overview"),
        (
            json!({"title": "Fine", "poster_url": "https://img.example/\u{0}.jpg"}),
            "poster_url",
        ),
    ] {
        let response = app
            .send(Method::POST, "/api/v1/movies", token, Some(body.clone()))
            .await;
        assert_invalid_field(response, field, &body.to_string()).await;
    }
    let heat = app.movie_id("Heat").await;
    let response = app
        .send(
            Method::PATCH,
            &format!("/api/v1/movies/{heat}"),
            token,
            Some(json!({"title": "Heat\u{0}"})),
        )
        .await;
    assert_invalid_field(response, "title", "PATCH title").await;
    // An overview may break lines.
    let (status, created) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            token,
            Some(json!({"title": "Two Lines", "overview": "first\nsecond\r\n\tthird"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["overview"], "first\nsecond\r\n\tthird");
}

/// Makes every account with `role = admin` a user, then creates `n` fresh
/// administrators; returns them.
async fn fresh_admins(app: &TestApp, round: usize, n: usize) -> Vec<crate::helpers::TestUser> {
    entity::user::Entity::update_many()
        .col_expr(
            entity::user::Column::Role,
            sea_orm::sea_query::Expr::value("user"),
        )
        .filter(entity::user::Column::Role.eq("admin"))
        .exec(&app.db)
        .await
        .unwrap();
    let mut admins = Vec::new();
    for i in 0..n {
        admins.push(
            app.create_user(&format!("admin_{round}_{i}"), "admin")
                .await,
        );
    }
    admins
}

async fn admin_count(app: &TestApp) -> u64 {
    entity::user::Entity::find()
        .filter(entity::user::Column::Role.eq("admin"))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn concurrent_demotions_and_deletions_never_remove_the_last_administrator() {
    let app = spawn_app().await;
    for round in 0..12 {
        let pair = fresh_admins(&app, round, 2).await;
        let (a, b) = (&pair[0], &pair[1]);
        let deleting = round % 2 == 1;
        let (method, body) = if deleting {
            (Method::DELETE, None)
        } else {
            (Method::PATCH, Some(json!({"role": "user"})))
        };
        let first = app.spawn_request(
            method.clone(),
            &format!("/api/v1/admin/users/{}", b.id),
            Some(&a.token),
            body.clone(),
        );
        let second = app.spawn_request(
            method,
            &format!("/api/v1/admin/users/{}", a.id),
            Some(&b.token),
            body,
        );
        let statuses = [first.await.unwrap(), second.await.unwrap()];
        let succeeded = statuses.iter().filter(|s| s.is_success()).count();
        assert!(
            succeeded <= 1,
            "round {round} ({}): both changes went through: {statuses:?}",
            if deleting { "delete" } else { "demote" }
        );
        assert!(
            statuses.iter().all(|s| s.is_success()
                || [
                    StatusCode::CONFLICT,
                    StatusCode::FORBIDDEN,
                    StatusCode::UNAUTHORIZED
                ]
                .contains(s)),
            "round {round}: {statuses:?}"
        );
        assert_eq!(
            admin_count(&app).await,
            2 - succeeded as u64,
            "round {round}"
        );
    }
}

#[tokio::test]
async fn made_up_http_methods_do_not_grow_the_metrics() {
    let app = spawn_app().await;
    let size = |text: &str| text.len();
    // One request of a kind the loop makes, so its series exists before.
    let warm = app
        .client
        .request(
            Method::from_bytes(b"WARMUP").unwrap(),
            format!("{}/health", app.address),
        )
        .send()
        .await
        .unwrap();
    assert!(warm.status().is_client_error(), "{}", warm.status());
    let before = app
        .request(Method::GET, "/metrics")
        .await
        .text()
        .await
        .unwrap();
    for i in 0..300 {
        let method = Method::from_bytes(format!("MADEUP{i}").as_bytes()).unwrap();
        let response = app
            .client
            .request(method, format!("{}/health", app.address))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let after = app
        .request(Method::GET, "/metrics")
        .await
        .text()
        .await
        .unwrap();
    assert!(!after.contains("MADEUP"), "a made-up method became a label");
    assert!(after.contains(r#"method="other""#), "{after}");
    // The series of the other requests grow in value, not in number: the
    // exposition may only grow by the digits of larger counts (and /metrics
    // itself, now counted once).
    assert!(
        size(&after) < size(&before) + 4096,
        "{} bytes before, {} after",
        size(&before),
        size(&after)
    );
}

#[tokio::test]
async fn a_lost_database_connection_is_503_with_retry_after_never_500() {
    let app = spawn_app().await;
    let user = app.create_user("reconnecting", "user").await;
    // Open several pooled connections.
    let warm: Vec<_> = (0..8)
        .map(|_| app.spawn_request(Method::GET, "/api/v1/users/me", Some(&user.token), None))
        .collect();
    for request in warm {
        assert_eq!(request.await.unwrap(), StatusCode::OK);
    }
    if is_postgres(&app) {
        // What a database restart does to a pool: every other connection dies.
        app.db
            .execute_unprepared(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .await
            .unwrap();
    } else {
        // SQLite has no server to lose; a closed pool is its equivalent.
        app.db.close_by_ref().await.unwrap();
    }
    let mut unavailable = 0;
    for _ in 0..20 {
        // Ratings are read from the database on every request (the account
        // itself may come from the account cache).
        let response = app
            .send(
                Method::GET,
                "/api/v1/users/me/ratings",
                Some(&user.token),
                None,
            )
            .await;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                unavailable += 1;
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .expect("Retry-After on a 503")
                    .to_str()
                    .unwrap()
                    .to_owned();
                assert!(retry_after.parse::<u64>().is_ok(), "{retry_after}");
                assert_error(
                    response,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                )
                .await;
            }
            other => panic!(
                "a lost connection answered {other}: {}",
                response.text().await.unwrap()
            ),
        }
    }
    assert!(unavailable > 0, "no request hit a lost connection");
}

/// Migrates a database for `settings`, then closes the connection.
async fn migrate(settings: &cinerank::config::Settings) {
    let db = cinerank::startup::prepare_database(settings, false)
        .await
        .expect("migrate");
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_read_only_database_refuses_to_start_and_names_database_url() {
    let database = TestDatabase::create().await;
    let settings = test_settings(&database, None, &[]);
    migrate(&settings).await;
    let read_only_url = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = database.url.rsplit('/').next().unwrap().to_owned();
            let admin = sea_orm::Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!(
                    "ALTER DATABASE \"{name}\" SET default_transaction_read_only = on"
                ))
                .await
                .unwrap();
            admin.close().await.unwrap();
            database.url.clone()
        }
        _ => database.url.replace("mode=rwc", "mode=ro"),
    };
    let settings = test_settings(&database, None, &[("DATABASE_URL", &read_only_url)]);
    let err = match cinerank::startup::Application::build(settings).await {
        Ok(_) => panic!("started on a read-only database"),
        Err(err) => cinerank::error::error_chain(&err),
    };
    assert!(err.contains("DATABASE_URL"), "{err}");
    assert!(
        err.contains("read-only") || err.contains("readonly"),
        "{err}"
    );
}

#[tokio::test]
async fn a_postgres_url_to_a_closed_port_names_database_url_and_the_address() {
    let database = TestDatabase::create().await;
    let settings = test_settings(
        &database,
        None,
        &[
            (
                "DATABASE_URL",
                "postgres://postgres:secret@127.0.0.1:1/cinerank",
            ),
            ("DB_ACQUIRE_TIMEOUT_SECONDS", "1"),
        ],
    );
    let err = match cinerank::startup::Application::build(settings).await {
        Ok(_) => panic!("started without a database"),
        Err(err) => cinerank::error::error_chain(&err),
    };
    assert!(err.contains("DATABASE_URL"), "{err}");
    assert!(err.contains("127.0.0.1:1"), "{err}");
    assert!(!err.contains("secret"), "the password is masked: {err}");
}

#[tokio::test]
async fn non_admins_always_get_403_before_any_body_validation() {
    let app = spawn_app().await;
    let user = app.create_user("not_admin", "user").await;
    let heat = app.movie_id("Heat").await;
    let cases = [
        (Method::POST, "/api/v1/movies".to_owned(), json!({})),
        (
            Method::PATCH,
            format!("/api/v1/movies/{heat}"),
            json!({"title": 5}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{}", user.id),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/admin/imports".to_owned(),
            json!({"nope": 1}),
        ),
    ];
    for _ in 0..10 {
        for (method, path, body) in &cases {
            let response = app
                .send(method.clone(), path, Some(&user.token), Some(body.clone()))
                .await;
            assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        }
    }
    // Concurrently as well, where timing matters most.
    let requests: Vec<_> = (0..40)
        .map(|_| {
            app.spawn_request(
                Method::POST,
                "/api/v1/movies",
                Some(&user.token),
                Some(json!({})),
            )
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn nan_and_infinite_min_rating_are_422() {
    let app = spawn_app().await;
    for value in ["NaN", "nan", "inf", "-inf", "infinity", "1e999"] {
        let response = app
            .send(
                Method::GET,
                &format!("/api/v1/movies?min_rating={value}"),
                None,
                None,
            )
            .await;
        assert_invalid_field(response, "min_rating", value).await;
    }
    let (status, _) = app.get_json("/api/v1/movies?min_rating=4.5").await;
    assert_eq!(status, StatusCode::OK);
}

fn import_root(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "cinerank-hardening-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

async fn wait_for_job(app: &TestApp, token: &str, id: &Value) -> Value {
    let started = std::time::Instant::now();
    loop {
        let (status, job) = app
            .call(
                Method::GET,
                &format!("/api/v1/admin/imports/{id}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] != "running" {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn import_folders_do_not_follow_symlinks_and_errors_show_relative_paths() {
    let root = import_root("root");
    let outside = import_root("outside");
    write_file(
        &outside.join("movies.csv"),
        "movieId,title,genres\n1,Secret Film (1999),Drama\n",
    );
    let linked = root.join("linked");
    write_file(
        &linked.join("ratings.csv"),
        "userId,movieId,rating,timestamp\n1,1,4.0,1\n",
    );
    std::os::unix::fs::symlink(outside.join("movies.csv"), linked.join("movies.csv")).unwrap();
    write_file(
        &root.join("broken/movies.csv"),
        "movieId,title,genres\n1,Fine (1999),Drama\n",
    );
    write_file(
        &root.join("broken/ratings.csv"),
        "userId,movieId,rating,timestamp\n1,1,4.0,1\n1,1,9.0,2\n",
    );
    let root_text = root.display().to_string();
    let app = spawn_app_with(Some(fixture_dir()), &[("IMPORT_DIR", &root_text)]).await;
    let admin = app.create_user("importer", "admin").await;

    let response = app
        .send(
            Method::POST,
            "/api/v1/admin/imports",
            Some(&admin.token),
            Some(json!({"source": "movielens", "path": "linked"})),
        )
        .await;
    let body = assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let message = body["error"]["details"]["path"][0].as_str().unwrap();
    assert!(message.contains("linked/movies.csv"), "{body}");
    assert!(!body.to_string().contains(&root_text), "{body}");
    let (_, found) = app.get_json("/api/v1/movies?q=Secret%20Film").await;
    assert_eq!(
        found["total_items"], 0,
        "nothing outside IMPORT_DIR was read"
    );

    let (status, job) = app
        .call(
            Method::POST,
            "/api/v1/admin/imports",
            Some(&admin.token),
            Some(json!({"source": "movielens", "path": "broken"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_for_job(&app, &admin.token, &job["id"]).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("broken/ratings.csv:3"), "{job}");
    assert!(
        !error.contains(&root_text),
        "an absolute server path: {error}"
    );
    let canonical = root.canonicalize().unwrap().display().to_string();
    assert!(
        !error.contains(&canonical),
        "an absolute server path: {error}"
    );
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(&outside);
}

async fn sign_in(app: &TestApp, login: &str, password: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"login": login, "password": password})),
    )
    .await
}

#[tokio::test]
async fn a_password_change_ends_every_older_session() {
    let app = spawn_app().await;
    let first = app.register("rotating", &[]).await;
    let (_, second) = sign_in(&app, "rotating", "correct horse battery").await;
    let second = second["access_token"].as_str().unwrap().to_owned();
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&first.token),
            Some(json!({"password": "a brand new password", "current_password": "correct horse battery"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for token in [&first.token, &second] {
        let response = app
            .send(Method::GET, "/api/v1/users/me", Some(token), None)
            .await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let (status, body) = sign_in(&app, "rotating", "a brand new password").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/users/me",
            body["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Changing only preferences ends nothing.
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&token),
            Some(json!({"preferred_genres": ["Drama"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(Method::GET, "/api/v1/users/me", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password() {
    let app = spawn_app().await;
    let user = app.register("mail_mover", &[]).await;
    for (patch, message) in [
        (json!({"email": "moved@example.org"}), "required"),
        (
            json!({"email": "moved@example.org", "current_password": "not my password"}),
            "incorrect",
        ),
    ] {
        let response = app
            .send(
                Method::PATCH,
                "/api/v1/users/me",
                Some(&user.token),
                Some(patch),
            )
            .await;
        let body = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        let problem = body["error"]["details"]["current_password"][0]
            .as_str()
            .unwrap();
        assert!(problem.contains(message), "{body}");
    }
    let (_, me) = app
        .call(Method::GET, "/api/v1/users/me", Some(&user.token), None)
        .await;
    assert_eq!(me["email"], "mail_mover@example.org");
    // Sending the address it already has changes nothing and needs nothing.
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&user.token),
            Some(json!({"email": "mail_mover@example.org"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, me) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&user.token),
            Some(
                json!({"email": "moved@example.org", "current_password": "correct horse battery"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "moved@example.org");
}

#[tokio::test]
async fn re_entering_the_current_password_is_rate_limited_like_sign_in() {
    let app = spawn_app_with(Some(fixture_dir()), &[("AUTH_RATE_LIMIT_PER_MIN", "3")]).await;
    let user = app.create_user("guessed", "user").await;
    let guess = json!({"password": "a new password", "current_password": "guess number n"});
    for _ in 0..3 {
        let response = app
            .send(
                Method::PATCH,
                "/api/v1/users/me",
                Some(&user.token),
                Some(guess.clone()),
            )
            .await;
        assert_invalid_field(response, "current_password", "a wrong guess").await;
    }
    let response = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&user.token),
            Some(guess),
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_error(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
    // Changes that need no password are not limited.
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&user.token),
            Some(json!({"preferred_genres": ["Comedy"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_role_change_ends_the_accounts_sessions() {
    let app = spawn_app().await;
    let admin = app.create_user("role_setter", "admin").await;
    let member = app.register("role_target", &[]).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", member.id),
            Some(&admin.token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = app
        .send(Method::GET, "/api/v1/users/me", Some(&member.token), None)
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Setting the role it already has ends nothing.
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", admin.id),
            Some(&admin.token),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(Method::GET, "/api/v1/users/me", Some(&admin.token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}
