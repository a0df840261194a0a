//! Administration: movie management, user management, roles, and the
//! `create-admin` command.

use entity::{movie, rating};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::helpers::{assert_error, spawn_app, titles};

#[tokio::test]
async fn admins_create_update_and_delete_movies() {
    let app = spawn_app().await;
    let admin = app.create_user("curator", "admin").await;
    let token = Some(admin.token.as_str());
    let response = app
        .send(
            Method::POST,
            "/api/v1/movies",
            token,
            Some(json!({"title": "  Brand New Film ", "year": 2024, "genres": ["drama", "Romance"],
                        "overview": "Fresh.", "poster_url": "https://example.org/new.jpg", "imdb_id": "tt7654321"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/movies/{}", created["id"]));
    assert_eq!(created["title"], "Brand New Film");
    assert_eq!(created["genres"], json!(["Drama", "Romance"]));
    assert!(created["avg_rating"].is_null());
    let (status, fetched) = app.call(Method::GET, &location, None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["imdb_id"], "tt7654321");
    let found = app.movie_id("Brand New Film").await;
    assert_eq!(json!(found), created["id"]);

    // PATCH changes only what is sent; null clears; the cached details follow.
    let (status, patched) = app
        .call(
            Method::PATCH,
            &location,
            token,
            Some(json!({"title": "Renamed Film", "poster_url": null, "genres": ["Comedy"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["title"], "Renamed Film");
    assert!(patched["poster_url"].is_null());
    assert_eq!(patched["year"], 2024);
    assert_eq!(patched["overview"], "Fresh.");
    assert_eq!(patched["genres"], json!(["Comedy"]));
    let (_, fetched) = app.call(Method::GET, &location, None, None).await;
    assert_eq!(fetched["title"], "Renamed Film");
    let (_, searched) = app
        .call(Method::GET, "/api/v1/movies?q=renamed", None, None)
        .await;
    assert_eq!(searched["total_items"], 1);

    let response = app
        .send(
            Method::POST,
            "/api/v1/movies",
            token,
            Some(json!({"title": "Copy", "imdb_id": "tt7654321"})),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "duplicate_external_id").await;

    for (body, field) in [
        (json!({"title": ""}), "title"),
        (json!({"title": "x".repeat(301)}), "title"),
        (json!({"title": "Ok", "year": 1500}), "year"),
        (json!({"title": "Ok", "genres": ["Polka"]}), "genres"),
        (
            json!({"title": "Ok", "poster_url": "javascript:alert(1)"}),
            "poster_url",
        ),
        (json!({"title": "Ok", "imdb_id": "12345"}), "imdb_id"),
        (json!({"title": "Ok", "tmdb_id": -4}), "tmdb_id"),
    ] {
        let response = app
            .send(Method::POST, "/api/v1/movies", token, Some(body.clone()))
            .await;
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            error["error"]["details"][field].is_array(),
            "{body}: {error}"
        );
    }
    let response = app
        .send(
            Method::PATCH,
            "/api/v1/movies/424242",
            token,
            Some(json!({"title": "Nope"})),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;

    // Deleting a movie takes its ratings with it, and nothing else.
    let heat = app.movie_id("Heat").await;
    let before = rating::Entity::find().count(&app.db).await.unwrap();
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/movies/{heat}"),
            token,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(Method::GET, &format!("/api/v1/movies/{heat}"), None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        rating::Entity::find().count(&app.db).await.unwrap(),
        before - 4
    );
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/movies/{heat}"),
            token,
            None,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn only_admins_manage_movies_and_users() {
    let app = spawn_app().await;
    let user = app.create_user("regular", "user").await;
    let id = app.movie_id("Alien").await;
    let attempts = [
        (
            Method::POST,
            "/api/v1/movies".to_owned(),
            Some(json!({"title": "Sneaky"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/movies/{id}"),
            Some(json!({"title": "Sneaky"})),
        ),
        (Method::DELETE, format!("/api/v1/movies/{id}"), None),
        (Method::GET, "/api/v1/admin/users".to_owned(), None),
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{}", user.id),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/users/{}", user.id),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let response = app
            .send(method.clone(), &path, Some(&user.token), body.clone())
            .await;
        assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;
        let response = app.send(method.clone(), &path, None, body).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let (_, alien) = app
        .call(Method::GET, &format!("/api/v1/movies/{id}"), None, None)
        .await;
    assert_eq!(alien["title"], "Alien");
    assert_eq!(movie::Entity::find().count(&app.db).await.unwrap(), 11);
}

#[tokio::test]
async fn admins_list_users_change_roles_and_delete_accounts() {
    let app = spawn_app().await;
    let admin = app.create_user("chief", "admin").await;
    let token = Some(admin.token.as_str());
    let member = app.register("member", &["Drama"]).await;

    let (status, page) = app
        .call(Method::GET, "/api/v1/admin/users?per_page=100", token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total_items"], 7); // 5 fixture raters + 2
    let listed = page["items"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|u| u["username"] == "member" && u["preferred_genres"] == json!(["Drama"]))
    );
    assert!(listed.iter().all(|u| u.get("password_hash").is_none()));

    let path = format!("/api/v1/admin/users/{}", member.id);
    let (status, promoted) = app
        .call(Method::PATCH, &path, token, Some(json!({"role": "admin"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(promoted["role"], "admin");
    // A role change ends the account's sessions: the old token is refused,
    // and a new sign-in carries the new role.
    let response = app
        .send(
            Method::GET,
            "/api/v1/admin/users",
            Some(&member.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let sign_in = || async {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"login": "member", "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    };
    let member_token = sign_in().await;
    let (status, _) = app
        .call(
            Method::GET,
            "/api/v1/admin/users",
            Some(&member_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, demoted) = app
        .call(Method::PATCH, &path, token, Some(json!({"role": "user"})))
        .await;
    assert_eq!(demoted["role"], "user");
    let response = app
        .send(
            Method::GET,
            "/api/v1/admin/users",
            Some(&member_token),
            None,
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app
        .send(
            Method::GET,
            "/api/v1/admin/users",
            Some(&sign_in().await),
            None,
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    for body in [
        json!({"role": "superuser"}),
        json!({"role": "admin", "extra": 1}),
        json!({}),
    ] {
        let response = app.send(Method::PATCH, &path, token, Some(body)).await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let response = app
        .send(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", admin.id),
            token,
            Some(json!({"role": "user"})),
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "last_admin").await;

    // Deleting a fixture rater removes their ratings and fixes the aggregates.
    let rater = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("seed_user_1"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let matrix = app.movie_id("The Matrix").await;
    let (_, cached) = app
        .call(Method::GET, &format!("/api/v1/movies/{matrix}"), None, None)
        .await;
    assert_eq!(cached["rating_count"], 5);
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}", rater.id),
            token,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, after) = app
        .call(Method::GET, &format!("/api/v1/movies/{matrix}"), None, None)
        .await;
    assert_eq!(after["rating_count"], 4);
    assert_eq!(after["avg_rating"], 4.5); // 4.5 + 4 + 5 + 4.5
    assert_eq!(
        rating::Entity::find()
            .filter(rating::Column::UserId.eq(rater.id))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}", rater.id),
            token,
            None,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .send(
            Method::DELETE,
            &format!("/api/v1/admin/users/{}", admin.id),
            token,
            None,
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "last_admin").await;
}

#[tokio::test]
async fn admins_see_the_rating_distribution_per_half_star() {
    let app = spawn_app().await;
    let admin = app.create_user("statistician", "admin").await;
    let user = app.create_user("rater", "user").await;
    let path = "/api/v1/admin/ratings/distribution";
    let response = app.send(Method::GET, path, None, None).await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app
        .send(Method::GET, path, Some(user.token.as_str()), None)
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    let (status, body) = app
        .call(Method::GET, path, Some(admin.token.as_str()), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    let values: Vec<f64> = items
        .iter()
        .map(|b| b["rating"].as_f64().unwrap())
        .collect();
    assert_eq!(
        values,
        vec![0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0]
    );
    let stored = rating::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(body["total"], stored);
    let summed: u64 = items.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(summed, stored);
    for (i, bucket) in items.iter().enumerate() {
        let half = i16::try_from(i + 1).unwrap();
        let expected = rating::Entity::find()
            .filter(rating::Column::HalfStars.eq(half))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(bucket["count"], expected, "{}", bucket["rating"]);
    }

    // A new rating shows up at once in its bucket.
    let before = items[2]["count"].as_u64().unwrap();
    let movie = app.movie_id("Heat").await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/movies/{movie}/rating"),
            Some(user.token.as_str()),
            Some(json!({"rating": 1.5})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = app
        .call(Method::GET, path, Some(admin.token.as_str()), None)
        .await;
    assert_eq!(body["items"][2]["count"].as_u64().unwrap(), before + 1);
    assert_eq!(body["total"].as_u64().unwrap(), stored + 1);
}

#[tokio::test]
async fn a_new_movie_shows_in_a_list_page_that_was_cached_before_it_existed() {
    let app = spawn_app().await;
    let admin = app.create_user("lister", "admin").await;
    let page = "/api/v1/movies?q=unseen%20premiere";
    let (status, before) = app.get_json(page).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before["total_items"], 0);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(admin.token.as_str()),
            Some(json!({"title": "Unseen Premiere", "year": 2025})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, after) = app.get_json(page).await;
    assert_eq!(titles(&after), vec!["Unseen Premiere".to_owned()]);
}
