//! The web front end's server side: the page shell with its own content
//! security policy, the embedded assets, and the JSON fallback around them.

use reqwest::{Method, StatusCode};

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn page_paths_serve_the_shell_with_its_own_policy() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/browse?genre=Drama",
        "/movies/1",
        "/people/1",
        "/signup",
        "/signin",
        "/account",
        "/me/ratings",
        "/me/not-interested",
        "/watchlist",
        "/cart",
        "/orders",
        "/admin",
    ] {
        let response = app.request(Method::GET, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"<script type="module" src="/assets/app.js">"#));
        assert!(
            html.contains(r#"content="KRW""#),
            "the store currency is named"
        );
    }
    for path in ["/", "/movies/7", "/assets/app.js"] {
        let response = app.request(Method::HEAD, path).await;
        assert_eq!(response.status(), StatusCode::OK, "HEAD {path}");
        assert!(response.headers().contains_key("etag"), "HEAD {path}");
        assert!(response.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
}

#[tokio::test]
async fn assets_have_their_content_types_and_revalidate_with_etags() {
    let app = spawn_app().await;
    for (name, content_type) in [
        ("app.js", "text/javascript"),
        ("pages.js", "text/javascript"),
        ("i18n.js", "text/javascript"),
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let response = app.request(Method::GET, &format!("/assets/{name}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{name}"
        );
        assert_eq!(response.headers()["cache-control"], "no-cache");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(format!("{}/assets/{name}", app.address))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{name}");
    }
    let response = app.request(Method::GET, "/assets/missing.js").await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn api_and_unknown_paths_keep_the_json_envelope() {
    let app = spawn_app().await;
    for path in ["/api/v1/nope", "/nope", "/movies/abc", "/api/v1"] {
        let response = app.request(Method::GET, path).await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = app.request(Method::POST, "/api/v1/genres").await;
    assert_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    for path in ["/", "/cart", "/assets/app.js"] {
        let response = app.request(Method::POST, path).await;
        assert_eq!(response.headers()["allow"], "GET, HEAD", "{path}");
        assert_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
    // The pages are not API operations.
    let (_, doc) = app.get_json("/api-docs/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/auth/session"));
    assert!(paths.contains_key("/api/v1/admin/ratings/distribution"));
    assert!(!paths.contains_key("/"));
    assert!(!paths.keys().any(|p| p.starts_with("/assets")));
}

#[tokio::test]
async fn browsers_get_the_sites_not_found_page_and_docs_its_slash() {
    let app = spawn_app().await;
    let browser = |path: &str| {
        app.client
            .get(format!("{}{path}", app.address))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
    };
    for path in ["/nope", "/movies/abc", "/browse/extra"] {
        let response = browser(path).await.expect("request");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("/assets/app.js"), "{path}: the shell");
    }
    // The API, its documents and the assets keep the JSON envelope.
    for path in ["/api/v1/nope", "/assets/missing.js", "/api-docs/nope"] {
        let response = browser(path).await.expect("request");
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/docs/");
}

/// The "not interested" list the web page undoes from: newest first, and
/// an undone movie leaves it.
#[tokio::test]
async fn the_not_interested_list_shows_dismissed_movies_until_undone() {
    let app = spawn_app().await;
    let user = app.register("dismisser", &["Drama"]).await;
    let (_, movies) = app.get_json("/api/v1/movies?per_page=2").await;
    let ids: Vec<i64> = movies["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    for id in &ids {
        let (status, _) = app
            .call(
                Method::PUT,
                &format!("/api/v1/users/me/not-interested/{id}"),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, list) = app
        .call(
            Method::GET,
            "/api/v1/users/me/not-interested",
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total_items"], 2);
    let listed: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["movie"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(ids.iter().all(|id| listed.contains(id)), "{list}");
    assert!(list["items"][0]["added_at"].is_string());

    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/me/not-interested/{}", ids[0]),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = app
        .call(
            Method::GET,
            "/api/v1/users/me/not-interested",
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(list["total_items"], 1);
    assert_eq!(list["items"][0]["movie"]["id"], ids[1]);
    let response = app
        .request(Method::GET, "/api/v1/users/me/not-interested")
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Korean (and any other script's) usernames: stored in NFC, unique without
/// regard to case on both databases, and usable to sign in.
#[tokio::test]
async fn usernames_in_any_script_are_nfc_and_unique_regardless_of_case() {
    let app = spawn_app().await;
    let register = |username: &str, email: &str| {
        app.call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(serde_json::json!({
                "username": username,
                "email": email,
                "password": "correct horse battery",
                "preferred_genres": [],
            })),
        )
    };
    // "김" typed as three conjoining jamo is stored as the one syllable.
    let (status, body) = register("\u{1100}\u{1175}\u{11B7}민지", "kim@example.org").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["username"], "김민지");
    let (status, body) = register("김민지", "kim2@example.org").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "username_taken");

    let (status, body) = register("Émile", "emile@example.org").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = register("éMILE", "emile2@example.org").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "username_taken");

    // Sign-in normalises what is typed the same way: the jamo form finds it too.
    for login in ["김민지", "\u{1100}\u{1175}\u{11B7}민지", "ÉMILE"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"login": login, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
    }
}
