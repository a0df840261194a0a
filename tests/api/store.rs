//! The store end to end: cart, orders, cancellation, validation, admin
//! prices, no overselling and no double orders under concurrency, atomic
//! rollback, and purchases feeding the recommender.

use std::collections::{HashMap, HashSet};

use cinerank::services::{begin_write, store};
use entity::{cart_item, movie, order};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, spawn_app};

/// Sets a movie's price and stock as an admin; `null` means not for sale /
/// digital.
async fn stock_movie(app: &TestApp, admin: &TestUser, movie_id: i64, price: Value, stock: Value) {
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/movies/{movie_id}"),
            Some(&admin.token),
            Some(json!({"price": price, "stock": stock})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn add_to_cart(app: &TestApp, user: &TestUser, movie_id: i64, quantity: i64) -> Value {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/cart/items",
            Some(&user.token),
            Some(json!({"movie_id": movie_id, "quantity": quantity})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn order_with_key(app: &TestApp, user: &TestUser, key: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/orders", app.address))
        .bearer_auth(&user.token)
        .header("Idempotency-Key", key)
        .send()
        .await
        .expect("request succeeds")
}

/// Starts `POST /orders` on its own task; yields status and body.
fn spawn_order(
    app: &TestApp,
    user: &TestUser,
    key: Option<&str>,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let mut request = app
        .client
        .post(format!("{}/api/v1/orders", app.address))
        .bearer_auth(&user.token);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    tokio::spawn(async move {
        let response = request.send().await.expect("request succeeds");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

async fn stock_in_db(app: &TestApp, movie_id: i64) -> Option<i32> {
    movie::Entity::find_by_id(movie_id as i32)
        .one(&app.db)
        .await
        .unwrap()
        .expect("movie")
        .stock
}

#[tokio::test]
async fn a_cart_becomes_an_order_that_snapshots_prices_and_cancelling_returns_the_stock() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.create_user("buyer", "user").await;
    let token = Some(user.token.as_str());
    let matrix = app.movie_id("The Matrix").await;
    let heat = app.movie_id("Heat").await;
    stock_movie(&app, &admin, matrix, json!(19900), json!(3)).await;
    stock_movie(&app, &admin, heat, json!(5500), Value::Null).await;

    let (status, cart) = app.call(Method::GET, "/api/v1/cart", token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cart, json!({"items": [], "total": 0, "currency": "KRW"}));

    add_to_cart(&app, &user, matrix, 1).await;
    let cart = add_to_cart(&app, &user, matrix, 1).await;
    assert_eq!(cart["items"][0]["quantity"], 2, "adding adds to the line");
    add_to_cart(&app, &user, heat, 5).await;
    let (status, cart) = app
        .call(
            Method::PUT,
            &format!("/api/v1/cart/items/{heat}"),
            token,
            Some(json!({"quantity": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cart}");
    let items = cart["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["movie"]["id"], matrix);
    assert_eq!(items[0]["movie"]["title"], "The Matrix");
    assert_eq!(items[0]["movie"]["stock"], 3);
    assert_eq!(items[0]["unit_price"], 19900);
    assert_eq!(items[0]["line_total"], 39800);
    assert_eq!(items[1]["quantity"], 1);
    assert!(items[1]["movie"]["stock"].is_null(), "digital");
    assert_eq!(cart["total"], 39800 + 5500);
    assert_eq!(cart["currency"], "KRW");

    let response = order_with_key(&app, &user, "first-order").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let placed: Value = response.json().await.unwrap();
    let id = placed["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/orders/{id}"));
    assert_eq!(placed["status"], "placed");
    assert_eq!(placed["total"], 45300);
    assert_eq!(placed["currency"], "KRW");
    assert_eq!(placed["user_id"], user.id);
    assert!(placed["created_at"].is_string());
    assert!(placed["cancelled_at"].is_null());
    assert_eq!(
        placed["items"],
        json!([
            {"movie_id": matrix, "title": "The Matrix", "unit_price": 19900, "quantity": 2, "line_total": 39800},
            {"movie_id": heat, "title": "Heat", "unit_price": 5500, "quantity": 1, "line_total": 5500},
        ])
    );

    // Stock moved (and the cached movie shows it), the cart is empty.
    let (_, details) = app
        .call(Method::GET, &format!("/api/v1/movies/{matrix}"), None, None)
        .await;
    assert_eq!(details["stock"], 1);
    assert_eq!(details["price"], 19900);
    assert!(
        app.call(Method::GET, &format!("/api/v1/movies/{heat}"), None, None)
            .await
            .1["stock"]
            .is_null()
    );
    let (_, cart) = app.call(Method::GET, "/api/v1/cart", token, None).await;
    assert_eq!(cart["items"], json!([]));

    // Later price changes do not touch the order.
    stock_movie(&app, &admin, matrix, json!(1000), json!(1)).await;
    let (status, fetched) = app
        .call(Method::GET, &format!("/api/v1/orders/{id}"), token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, placed);
    let (status, list) = app.call(Method::GET, "/api/v1/orders", token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total_items"], 1);
    assert_eq!(list["items"][0], placed);

    let (status, cancelled) = app
        .call(
            Method::POST,
            &format!("/api/v1/orders/{id}/cancel"),
            token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(cancelled["items"], placed["items"]);
    assert_eq!(stock_in_db(&app, matrix).await, Some(3), "copies returned");
    assert_eq!(
        stock_in_db(&app, heat).await,
        None,
        "digital stays unlimited"
    );
    let (_, details) = app
        .call(Method::GET, &format!("/api/v1/movies/{matrix}"), None, None)
        .await;
    assert_eq!(details["stock"], 3);

    let response = app
        .send(
            Method::POST,
            &format!("/api/v1/orders/{id}/cancel"),
            token,
            None,
        )
        .await;
    assert_error(response, StatusCode::CONFLICT, "order_not_cancellable").await;
    assert_eq!(stock_in_db(&app, matrix).await, Some(3), "returned once");

    // Newest first, for the owner and for admins.
    add_to_cart(&app, &user, heat, 1).await;
    let response = app.send(Method::POST, "/api/v1/orders", token, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let second: Value = response.json().await.unwrap();
    let (_, list) = app.call(Method::GET, "/api/v1/orders", token, None).await;
    assert_eq!(list["total_items"], 2);
    assert_eq!(list["items"][0]["id"], second["id"]);
    assert_eq!(list["items"][1]["status"], "cancelled");
    let (status, all) = app
        .call(
            Method::GET,
            "/api/v1/admin/orders?per_page=1",
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["total_items"], 2);
    assert_eq!(all["total_pages"], 2);
    assert_eq!(all["items"][0]["id"], second["id"]);
}

#[tokio::test]
async fn cart_input_is_validated_with_the_error_envelope() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.create_user("typo", "user").await;
    let token = Some(user.token.as_str());
    let matrix = app.movie_id("The Matrix").await;
    let alien = app.movie_id("Alien").await;
    stock_movie(&app, &admin, matrix, json!(5500), Value::Null).await;

    for (body, code) in [
        (
            json!({"movie_id": matrix, "quantity": 0}),
            "validation_failed",
        ),
        (
            json!({"movie_id": matrix, "quantity": 100}),
            "validation_failed",
        ),
        (
            json!({"movie_id": matrix, "quantity": -1}),
            "validation_failed",
        ),
        (
            json!({"movie_id": matrix, "quantity": 1.5}),
            "validation_failed",
        ),
        (
            json!({"movie_id": matrix, "quantity": "two"}),
            "validation_failed",
        ),
        (json!({"movie_id": matrix}), "validation_failed"),
        (
            json!({"movie_id": matrix, "quantity": 1, "qty": 1}),
            "validation_failed",
        ),
        (json!({"movie_id": alien, "quantity": 1}), "not_for_sale"),
    ] {
        let response = app
            .send(
                Method::POST,
                "/api/v1/cart/items",
                token,
                Some(body.clone()),
            )
            .await;
        let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, code).await;
        if body["quantity"] == 100 {
            assert!(
                error["error"]["details"]["quantity"][0]
                    .as_str()
                    .unwrap()
                    .contains("99"),
                "{error}"
            );
        }
        if code == "not_for_sale" {
            assert_eq!(error["error"]["details"]["movie_ids"], json!([alien]));
        }
    }
    let response = app
        .send(
            Method::POST,
            "/api/v1/cart/items",
            token,
            Some(json!({"movie_id": 999_999, "quantity": 1})),
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/cart/items",
            None,
            Some(json!({"movie_id": matrix, "quantity": 1})),
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    for (method, path) in [
        (Method::GET, "/api/v1/cart"),
        (Method::DELETE, "/api/v1/cart"),
        (Method::POST, "/api/v1/orders"),
        (Method::GET, "/api/v1/orders"),
        (Method::GET, "/api/v1/orders/1"),
        (Method::POST, "/api/v1/orders/1/cancel"),
        (Method::GET, "/api/v1/admin/orders"),
    ] {
        let response = app.send(method, path, None, None).await;
        assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = app
        .send(Method::GET, "/api/v1/admin/orders", token, None)
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    // A line holds at most 99, however it is reached.
    add_to_cart(&app, &user, matrix, 60).await;
    let response = app
        .send(
            Method::POST,
            "/api/v1/cart/items",
            token,
            Some(json!({"movie_id": matrix, "quantity": 40})),
        )
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let cart = add_to_cart(&app, &user, matrix, 39).await;
    assert_eq!(cart["items"][0]["quantity"], 99);
    let path = format!("/api/v1/cart/items/{matrix}");
    for body in [json!({"quantity": 100}), json!({"quantity": -1}), json!({})] {
        let response = app.send(Method::PUT, &path, token, Some(body)).await;
        assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    for (target, status, code) in [
        (
            alien.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_for_sale",
        ),
        ("999999".to_owned(), StatusCode::NOT_FOUND, "not_found"),
        (
            "abc".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_path_parameter",
        ),
    ] {
        let response = app
            .send(
                Method::PUT,
                &format!("/api/v1/cart/items/{target}"),
                token,
                Some(json!({"quantity": 1})),
            )
            .await;
        assert_error(response, status, code).await;
    }

    // 0 removes a line; DELETE removes one or all; both are idempotent.
    let (status, cart) = app
        .call(Method::PUT, &path, token, Some(json!({"quantity": 0})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cart["items"], json!([]));
    add_to_cart(&app, &user, matrix, 1).await;
    for _ in 0..2 {
        let response = app.send(Method::DELETE, &path, token, None).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    add_to_cart(&app, &user, matrix, 1).await;
    for _ in 0..2 {
        let response = app.send(Method::DELETE, "/api/v1/cart", token, None).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    let (_, cart) = app.call(Method::GET, "/api/v1/cart", token, None).await;
    assert_eq!(cart["items"], json!([]));
}

#[tokio::test]
async fn ordering_fails_clearly_for_an_empty_cart_a_bad_key_or_a_movie_withdrawn_from_sale() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.create_user("unlucky", "user").await;
    let token = Some(user.token.as_str());
    let matrix = app.movie_id("The Matrix").await;
    let heat = app.movie_id("Heat").await;

    let response = app.send(Method::POST, "/api/v1/orders", token, None).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "empty_cart").await;
    let response = order_with_key(&app, &user, "never-used").await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "empty_cart").await;

    stock_movie(&app, &admin, matrix, json!(5500), json!(2)).await;
    stock_movie(&app, &admin, heat, json!(3900), Value::Null).await;
    add_to_cart(&app, &user, matrix, 1).await;
    add_to_cart(&app, &user, heat, 1).await;
    for bad in ["", &"k".repeat(101), "tab\there"] {
        let response = order_with_key(&app, &user, bad).await;
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(
            error["error"]["details"]["Idempotency-Key"].is_array(),
            "{error}"
        );
    }

    // The movie stops being for sale: the cart still shows it, ordering fails.
    stock_movie(&app, &admin, heat, Value::Null, Value::Null).await;
    let (_, cart) = app.call(Method::GET, "/api/v1/cart", token, None).await;
    assert_eq!(cart["items"].as_array().unwrap().len(), 2);
    assert!(cart["items"][1]["unit_price"].is_null(), "{cart}");
    assert!(cart["items"][1]["line_total"].is_null());
    assert_eq!(cart["total"], 5500);
    let response = app.send(Method::POST, "/api/v1/orders", token, None).await;
    let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, "not_for_sale").await;
    assert_eq!(error["error"]["details"]["movie_ids"], json!([heat]));
    assert_eq!(stock_in_db(&app, matrix).await, Some(2), "nothing taken");
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        cart_item::Entity::find().count(&app.db).await.unwrap(),
        2,
        "the cart is kept"
    );

    // Too few copies of one line: nothing is taken from the others either.
    stock_movie(&app, &admin, heat, json!(3900), json!(5)).await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/cart/items/{matrix}"),
            token,
            Some(json!({"quantity": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = app.send(Method::POST, "/api/v1/orders", token, None).await;
    let error = assert_error(response, StatusCode::CONFLICT, "out_of_stock").await;
    assert_eq!(error["error"]["details"]["movie_ids"], json!([matrix]));
    assert_eq!(
        error["error"]["details"]["movies"],
        json!([{"movie_id": matrix, "title": "The Matrix", "requested": 3, "available": 2}])
    );
    assert_eq!(stock_in_db(&app, heat).await, Some(5), "rolled back");
    assert_eq!(stock_in_db(&app, matrix).await, Some(2));
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn orders_are_private_to_their_owner_and_admins() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let owner = app.create_user("owner", "user").await;
    let other = app.create_user("snoop", "user").await;
    let heat = app.movie_id("Heat").await;
    stock_movie(&app, &admin, heat, json!(3900), Value::Null).await;
    add_to_cart(&app, &owner, heat, 1).await;
    let (status, placed) = app
        .call(Method::POST, "/api/v1/orders", Some(&owner.token), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let path = format!("/api/v1/orders/{}", placed["id"]);

    let response = app.send(Method::GET, &path, Some(&other.token), None).await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .send(
            Method::POST,
            &format!("{path}/cancel"),
            Some(&other.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let (_, list) = app
        .call(Method::GET, "/api/v1/orders", Some(&other.token), None)
        .await;
    assert_eq!(list["total_items"], 0);
    let response = app
        .send(
            Method::GET,
            "/api/v1/orders/999999",
            Some(&owner.token),
            None,
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let (status, seen) = app.call(Method::GET, &path, Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen, placed);
}

#[tokio::test]
async fn admins_set_price_and_stock_through_the_movie_routes() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.create_user("customer", "user").await;
    let matrix = app.movie_id("The Matrix").await;
    let path = format!("/api/v1/movies/{matrix}");

    let (_, before) = app.call(Method::GET, &path, None, None).await;
    assert!(before["price"].is_null() && before.get("price").is_some());
    assert!(before["stock"].is_null() && before.get("stock").is_some());
    let (status, patched) = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"price": 12000, "stock": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (patched["price"].clone(), patched["stock"].clone()),
        (json!(12000), json!(7))
    );
    // Absent fields stay; the list shows price and stock too.
    let (_, patched) = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"stock": 0})),
        )
        .await;
    assert_eq!(
        (patched["price"].clone(), patched["stock"].clone()),
        (json!(12000), json!(0))
    );
    let (_, list) = app
        .call(Method::GET, "/api/v1/movies?q=matrix", None, None)
        .await;
    assert_eq!(list["items"][0]["price"], 12000);
    assert_eq!(list["items"][0]["stock"], 0);

    for (body, field) in [
        (json!({"price": -1}), "price"),
        (json!({"price": 100_000_001}), "price"),
        (json!({"stock": -1}), "stock"),
        (json!({"stock": 1_000_001}), "stock"),
    ] {
        let response = app
            .send(Method::PATCH, &path, Some(&admin.token), Some(body))
            .await;
        let error = assert_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert!(error["error"]["details"][field].is_array(), "{error}");
    }
    let response = app
        .send(
            Method::PATCH,
            &path,
            Some(&user.token),
            Some(json!({"price": 1})),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "forbidden").await;

    // null clears: not for sale, digital.
    let (_, cleared) = app
        .call(
            Method::PATCH,
            &path,
            Some(&admin.token),
            Some(json!({"price": null, "stock": null})),
        )
        .await;
    assert!(cleared["price"].is_null() && cleared["stock"].is_null());

    let (status, created) = app
        .call(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({"title": "Store Exclusive", "price": 9900, "stock": 12})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["price"], 9900);
    assert_eq!(created["stock"], 12);
    let response = app
        .send(
            Method::POST,
            "/api/v1/movies",
            Some(&admin.token),
            Some(json!({"title": "Bad", "price": -5})),
        )
        .await;
    assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn fifty_concurrent_orders_for_ten_copies_place_exactly_ten() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let inception = app.movie_id("Inception").await;
    stock_movie(&app, &admin, inception, json!(19900), json!(10)).await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        let buyer = app.create_user(&format!("rush{i}"), "user").await;
        add_to_cart(&app, &buyer, inception, 1).await;
        buyers.push(buyer);
    }

    let tasks: Vec<_> = buyers
        .iter()
        .map(|buyer| spawn_order(&app, buyer, None))
        .collect();
    let mut statuses: HashMap<StatusCode, usize> = HashMap::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == StatusCode::CONFLICT {
            assert_eq!(body["error"]["code"], "out_of_stock", "{body}");
            assert_eq!(body["error"]["details"]["movie_ids"], json!([inception]));
        } else {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(
        statuses.get(&StatusCode::CREATED),
        Some(&10),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.get(&StatusCode::CONFLICT),
        Some(&40),
        "{statuses:?}"
    );
    assert_eq!(stock_in_db(&app, inception).await, Some(0));
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 10);
    // The 40 unlucky carts are untouched; the 10 are empty.
    assert_eq!(cart_item::Entity::find().count(&app.db).await.unwrap(), 40);
}

#[tokio::test]
async fn one_idempotency_key_sent_twenty_times_at_once_places_one_order() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.create_user("impatient", "user").await;
    let alien = app.movie_id("Alien").await;
    stock_movie(&app, &admin, alien, json!(5500), json!(100)).await;
    add_to_cart(&app, &user, alien, 2).await;

    let tasks: Vec<_> = (0..20)
        .map(|_| spawn_order(&app, &user, Some("checkout-7f3a")))
        .collect();
    let mut ids = HashSet::new();
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => {}
            other => panic!("unexpected {other}: {body}"),
        }
        ids.insert(body["id"].as_i64().expect("order id"));
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 1);
    assert_eq!(stock_in_db(&app, alien).await, Some(98), "taken once");

    // The key names the placement, not a cart: reusing it later, with a
    // different cart, still returns the first order and leaves the cart.
    let heat = app.movie_id("Heat").await;
    stock_movie(&app, &admin, heat, json!(3900), Value::Null).await;
    add_to_cart(&app, &user, heat, 1).await;
    let response = order_with_key(&app, &user, "checkout-7f3a").await;
    assert_eq!(response.status(), StatusCode::OK);
    let replay: Value = response.json().await.unwrap();
    assert_eq!(Some(replay["id"].as_i64().unwrap()), ids.into_iter().next());
    assert_eq!(replay["items"][0]["movie_id"], alien);
    assert_eq!(cart_item::Entity::find().count(&app.db).await.unwrap(), 1);
    // Keys are per user: another user's equal key is a new order.
    let other = app.create_user("namesake", "user").await;
    add_to_cart(&app, &other, heat, 1).await;
    let response = order_with_key(&app, &other, "checkout-7f3a").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_crash_between_decrement_and_commit_leaves_stock_and_orders_untouched() {
    let app = spawn_app().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.create_user("crash", "user").await;
    let matrix = app.movie_id("The Matrix").await;
    stock_movie(&app, &admin, matrix, json!(19900), json!(4)).await;
    add_to_cart(&app, &user, matrix, 3).await;

    // The production placement, in a transaction that never commits (as if
    // the process died right after the decrement and the order insert).
    let txn = begin_write(&app.db).await.unwrap();
    let placement = store::place_order_in(&txn, user.id as i32, Some("crash-key"), "KRW")
        .await
        .unwrap();
    assert!(matches!(placement, store::Placement::Placed(_)));
    let inside = movie::Entity::find_by_id(matrix as i32)
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inside.stock, Some(1), "decremented inside the transaction");
    drop(txn);

    assert_eq!(stock_in_db(&app, matrix).await, Some(4));
    assert_eq!(order::Entity::find().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        cart_item::Entity::find()
            .filter(cart_item::Column::UserId.eq(user.id as i32))
            .count(&app.db)
            .await
            .unwrap(),
        1,
        "the cart is still full"
    );
    // And the key was not consumed: the retry places the order.
    let response = order_with_key(&app, &user, "crash-key").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(stock_in_db(&app, matrix).await, Some(1));
}

#[tokio::test]
async fn a_purchased_movie_is_never_recommended_to_its_buyer() {
    let app = spawn_app().await;
    app.wait_until_ready().await;
    let admin = app.create_user("shopkeeper", "admin").await;
    let user = app.register("collector", &["Science Fiction"]).await;
    let path = "/api/v1/users/me/recommendations?limit=100";
    let (status, before) = app.call(Method::GET, path, Some(&user.token), None).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let first = before["items"][0]["movie"]["id"]
        .as_i64()
        .expect("something is recommended");
    stock_movie(&app, &admin, first, json!(5500), Value::Null).await;
    add_to_cart(&app, &user, first, 1).await;
    let (status, placed) = app
        .call(Method::POST, "/api/v1/orders", Some(&user.token), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");

    let (_, after) = app.call(Method::GET, path, Some(&user.token), None).await;
    let ids: Vec<i64> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["movie"]["id"].as_i64().unwrap())
        .collect();
    assert!(!ids.is_empty());
    assert!(!ids.contains(&first), "{first} in {ids:?}");

    // After a retrain the purchase is in the training data, still excluded.
    let response = app
        .send(
            Method::POST,
            "/api/v1/admin/model/retrain",
            Some(&admin.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let (_, after) = app.call(Method::GET, path, Some(&user.token), None).await;
    assert!(
        !after["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["movie"]["id"] == first)
    );
}

#[tokio::test]
async fn the_store_routes_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let (_, doc) = app.get_json("/api-docs/openapi.json").await;
    for (path, method) in [
        ("/api/v1/cart", "get"),
        ("/api/v1/cart", "delete"),
        ("/api/v1/cart/items", "post"),
        ("/api/v1/cart/items/{movie_id}", "put"),
        ("/api/v1/cart/items/{movie_id}", "delete"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders/{id}", "get"),
        ("/api/v1/orders/{id}/cancel", "post"),
        ("/api/v1/admin/orders", "get"),
    ] {
        let operation = &doc["paths"][path][method];
        assert_eq!(operation["tags"], json!(["store"]), "{method} {path}");
    }
    let order_params = doc["paths"]["/api/v1/orders"]["post"]["parameters"].to_string();
    assert!(order_params.contains("Idempotency-Key"), "{order_params}");
    for schema in [
        "CartView",
        "CartLine",
        "OrderView",
        "OrderLine",
        "AddToCart",
        "SetQuantity",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
    assert!(doc["tags"].to_string().contains("\"store\""));
}
