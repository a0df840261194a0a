//! Scale-out: two serving instances and a worker on one database. The
//! worker trains and publishes; the servers (`MODEL_TRAINING=off`) load
//! what it publishes and never train; a write through one server reaches
//! the other's caches within a second through the change feed (PostgreSQL
//! `LISTEN`/`NOTIFY`, SQLite's polled change log), and a lost listening
//! connection leaves nothing stale behind.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryOrder};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::helpers::{TestApp, TestDatabase, TestUser, fixture_dir, spawn_instance, test_settings};

/// How long a change may take to reach the other instance.
const PROPAGATION: Duration = Duration::from_secs(1);

/// Polls `check` until it holds; panics with `what` after `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            started.elapsed() < within,
            "{what}: not seen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The value of an unlabelled sample in `/metrics`.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .request(Method::GET, "/metrics")
        .await
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// The newest version the worker published.
async fn published_version(app: &TestApp) -> Option<String> {
    entity::model_snapshot::Entity::find()
        .order_by_desc(entity::model_snapshot::Column::Id)
        .one(&app.db)
        .await
        .expect("read snapshots")
        .map(|row| row.version)
}

async fn serving_version(app: &TestApp, admin: &TestUser) -> Option<String> {
    let (status, body) = app
        .call(Method::GET, "/api/v1/admin/model", Some(&admin.token), None)
        .await;
    (status == StatusCode::OK).then(|| body["version"].as_str().unwrap_or_default().to_owned())
}

async fn recommended_ids(app: &TestApp, user: &TestUser) -> Vec<i64> {
    let (status, body) = app
        .call(
            Method::GET,
            "/api/v1/users/me/recommendations?limit=20",
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            item["movie"]["id"]
                .as_i64()
                .or(item["id"].as_i64())
                .expect("id")
        })
        .collect()
}

async fn title_on(app: &TestApp, movie_id: i64) -> (String, Vec<String>) {
    let (_, detail) = app.get_json(&format!("/api/v1/movies/{movie_id}")).await;
    let (_, list) = app.get_json("/api/v1/movies?per_page=100&sort=title").await;
    let listed = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|m| m["id"].as_i64() == Some(movie_id))
        .map(|m| m["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    (
        detail["title"].as_str().unwrap_or_default().to_owned(),
        listed,
    )
}

async fn rename(app: &TestApp, admin: &TestUser, movie_id: i64, title: &str) {
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/movies/{movie_id}"),
            Some(&admin.token),
            Some(json!({ "title": title })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Waits until `app` shows `title` for the movie on its detail page and in
/// its list.
async fn shows_title(app: &TestApp, movie_id: i64, title: &str, within: Duration) {
    eventually(within, &format!("the new title {title:?}"), || async {
        let (detail, listed) = title_on(app, movie_id).await;
        detail == title && listed == [title.to_owned()]
    })
    .await;
}

async fn login(app: &TestApp, username: &str) -> TestUser {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": username, "password": "correct horse battery" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    TestUser {
        id: body["user"]["id"].as_i64().expect("id"),
        token: body["access_token"].as_str().expect("token").to_owned(),
    }
}

#[tokio::test]
async fn two_servers_and_a_worker_share_one_model_and_fresh_caches() {
    let database = TestDatabase::create().await;
    // The worker seeds the empty database, trains and publishes.
    let worker_settings = test_settings(&database, Some(fixture_dir()), &[]);
    let (stop_worker, stopped) = oneshot::channel::<()>();
    let worker = tokio::spawn(cinerank::worker::run(worker_settings, async {
        let _ = stopped.await;
    }));
    let serving = [("MODEL_TRAINING", "off"), ("SEED_ON_START", "false")];
    let a = spawn_instance(&database, None, &serving).await;
    let b = spawn_instance(&database, None, &serving).await;
    a.wait_until_ready().await;
    b.wait_until_ready().await;

    // An administrator, registered on A, promoted in the database (the
    // test's own write: no instance has cached the account yet).
    let admin = a.register("operator", &[]).await;
    a.db.execute_unprepared(&format!(
        "UPDATE users SET role = 'admin' WHERE id = {}",
        admin.id
    ))
    .await
    .expect("promote");

    // Both serve the published model and trained nothing themselves.
    let published = published_version(&a).await.expect("a published model");
    for app in [&a, &b] {
        assert_eq!(
            serving_version(app, &admin).await.as_deref(),
            Some(&*published)
        );
        assert_eq!(metric(app, "cinerank_model_trainings_total").await, 0.0);
        assert!(metric(app, "cinerank_model_loads_total").await >= 1.0);
    }

    // A rating through A is gone from B's (cached) recommendations.
    let fan = a.register("fan", &["Drama"]).await;
    let before = recommended_ids(&b, &fan).await;
    assert_eq!(
        recommended_ids(&b, &fan).await,
        before,
        "B answers from its cache"
    );
    let top = *before.first().expect("B recommends something");
    let (status, body) = a
        .call(
            Method::PUT,
            &format!("/api/v1/movies/{top}/rating"),
            Some(&fan.token),
            Some(json!({ "rating": 4.5 })),
        )
        .await;
    assert!(status.is_success(), "{body}");
    eventually(PROPAGATION, "the rated movie leaving B's list", || async {
        !recommended_ids(&b, &fan).await.contains(&top)
    })
    .await;
    // ... and B's cached profile counts it.
    let (_, me) = b
        .call(Method::GET, "/api/v1/users/me", Some(&fan.token), None)
        .await;
    assert_eq!(me["rating_count"], 1, "{me}");

    // A movie edited through A shows on B's detail page and list.
    let movie = a.movie_id("Heat").await;
    let (old_title, _) = title_on(&b, movie).await; // now cached on B
    assert_eq!(old_title, "Heat");
    rename(&a, &admin, movie, "Heat (director's cut)").await;
    shows_title(&b, movie, "Heat (director's cut)", PROPAGATION).await;

    // A demoted administrator: B stops honouring the old token, and a new
    // one (issued for the user role) gets 403 from B's admin routes.
    let deputy = a.register("deputy", &[]).await;
    let (status, _) = a
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", deputy.id),
            Some(&admin.token),
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let deputy = login(&a, "deputy").await;
    let (status, _) = b
        .call(
            Method::GET,
            "/api/v1/admin/users",
            Some(&deputy.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "B knows the deputy as an admin");
    let (status, _) = a
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", deputy.id),
            Some(&admin.token),
            Some(json!({ "role": "user" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually(
        PROPAGATION,
        "B refusing the demoted admin's token",
        || async {
            b.call(
                Method::GET,
                "/api/v1/admin/users",
                Some(&deputy.token),
                None,
            )
            .await
            .0 == StatusCode::UNAUTHORIZED
        },
    )
    .await;
    let deputy = login(&a, "deputy").await;
    let (status, _) = b
        .call(
            Method::GET,
            "/api/v1/admin/users",
            Some(&deputy.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A retrain asked through B is done by the worker; both servers load
    // the new model, still without training.
    let (status, _) = b
        .call(
            Method::POST,
            "/api/v1/admin/model/retrain",
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    eventually(
        Duration::from_secs(60),
        "a second published model",
        || async { published_version(&a).await.is_some_and(|v| v != published) },
    )
    .await;
    let newer = published_version(&a).await.expect("published");
    for app in [&a, &b] {
        eventually(Duration::from_secs(10), "the new model serving", || async {
            serving_version(app, &admin).await.as_deref() == Some(&*newer)
        })
        .await;
        assert_eq!(metric(app, "cinerank_model_trainings_total").await, 0.0);
    }

    if a.db.get_database_backend() == DbBackend::Postgres {
        // Cut B's listening connection, then write through A at once: the
        // notification may be lost, but B flushes when it listens again.
        let pid = b.state.feed.backend_pid();
        assert!(pid > 0, "B listens on a connection of its own");
        a.db.execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
            .await
            .expect("terminate B's listener");
        rename(&a, &admin, movie, "Heat (1995)").await;
        shows_title(&b, movie, "Heat (1995)", Duration::from_secs(3)).await;
        eventually(Duration::from_secs(3), "B listening again", || async {
            b.state.feed.reconnects() >= 1 && b.state.feed.backend_pid() != pid
        })
        .await;
        // And it still hears the next change.
        rename(&a, &admin, movie, "Heat").await;
        shows_title(&b, movie, "Heat", PROPAGATION).await;
    }

    let _ = stop_worker.send(());
    worker
        .await
        .expect("worker task")
        .expect("the worker stops cleanly");
}

#[tokio::test]
async fn a_second_worker_waits_while_the_first_one_trains() {
    let database = TestDatabase::create().await;
    let settings = || test_settings(&database, Some(fixture_dir()), &[]);
    let (stop_first, first_stopped) = oneshot::channel::<()>();
    let first = tokio::spawn(cinerank::worker::run(settings(), async {
        let _ = first_stopped.await;
    }));
    let app = spawn_instance(&database, None, &[("MODEL_TRAINING", "off")]).await;
    app.wait_until_ready().await;
    let (stop_second, second_stopped) = oneshot::channel::<()>();
    let second = tokio::spawn(cinerank::worker::run(settings(), async {
        let _ = second_stopped.await;
    }));
    // Give the second worker time to train, if it wrongly did.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let published = entity::model_snapshot::Entity::find()
        .all(&app.db)
        .await
        .expect("snapshots")
        .len();
    if app.db.get_database_backend() == DbBackend::Postgres {
        assert_eq!(published, 1, "only the lock holder trained");
        // The first one stops (its lock goes with its connection): the
        // second one takes over and publishes.
        let _ = stop_first.send(());
        first.await.expect("first worker").expect("stops cleanly");
        eventually(
            Duration::from_secs(60),
            "the second worker's model",
            || async {
                entity::model_snapshot::Entity::find()
                    .all(&app.db)
                    .await
                    .expect("snapshots")
                    .len()
                    >= 2
            },
        )
        .await;
    } else {
        // SQLite deployments have one server and, at most, one worker.
        assert!(published >= 1);
        let _ = stop_first.send(());
        first.await.expect("first worker").expect("stops cleanly");
    }
    let _ = stop_second.send(());
    second.await.expect("second worker").expect("stops cleanly");
}

#[tokio::test]
async fn writes_by_another_process_reach_a_running_server_within_a_second() {
    // `cinerank create-admin` or `cinerank import` next to a running
    // server: modelled by writes through a second, separate set of
    // services on the same database (what another process has).
    let database = TestDatabase::create().await;
    let app = spawn_instance(&database, Some(fixture_dir()), &[]).await;
    let user = app.register("local_hero", &[]).await;
    let (status, _) = app
        .call(Method::GET, "/api/v1/admin/users", Some(&user.token), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "cached as a plain user");
    let other = cinerank::startup::prepare_database(&test_settings(&database, None, &[]), false)
        .await
        .expect("another process's connection");
    let outcome = cinerank::services::accounts::create_admin(
        &other,
        "local_hero",
        "local_hero@example.org",
        "correct horse battery".to_owned(),
    )
    .await
    .expect("promote");
    assert!(matches!(
        outcome,
        cinerank::services::accounts::AdminOutcome::Promoted(_)
    ));
    // The promotion ended the old sessions and a new one is an admin.
    eventually(PROPAGATION, "the old session ending", || async {
        app.call(Method::GET, "/api/v1/users/me", Some(&user.token), None)
            .await
            .0
            == StatusCode::UNAUTHORIZED
    })
    .await;
    let admin = login(&app, "local_hero").await;
    let (status, body): (StatusCode, Value) = app
        .call(Method::GET, "/api/v1/admin/users", Some(&admin.token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(app.state.feed.heard() >= 1);
}
