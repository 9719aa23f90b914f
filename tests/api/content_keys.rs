//! Content API keys: with `HEADLINE_CONTENT_API=key` the Content API answers only callers with
//! a key an admin made, each within its rate.

use reqwest::StatusCode;
use serde_json::json;

use crate::factories::{draft, editor, publish};
use crate::helpers::{TestApp, json_of, problem};

fn key_mode(s: &mut headline::config::Settings) {
    s.content_api = headline::config::ContentApi::Key;
}

async fn get_with(app: &TestApp, path: &str, key: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(key)
        .send()
        .await
        .expect("request")
}

async fn make_key(app: &TestApp, token: &str, body: serde_json::Value) -> (i64, String) {
    let res = app.post("/api/v1/admin/content-keys", token, body).await;
    let made = json_of(res, StatusCode::CREATED).await;
    let key = made["data"]["key"]
        .as_str()
        .expect("key shown once")
        .to_owned();
    assert!(key.starts_with("hlk_"));
    assert_eq!(made["data"]["prefix"], key.get(..8).unwrap());
    (made["data"]["id"].as_i64().unwrap(), key)
}

async fn only_keys_read_the_content_api(app: TestApp) {
    let token = app.admin_token().await;
    let a = draft(&app, &token, "Nokia deal", json!({})).await;
    publish(&app, &token, a["id"].as_i64().unwrap(), None).await;

    // No key, a wrong key: 401, before the cache can answer.
    let body = problem(app.get("/api/v1/articles").await, StatusCode::UNAUTHORIZED).await;
    assert!(body["detail"].as_str().unwrap().contains("key"));
    problem(
        get_with(&app, "/api/v1/articles", "hlk_wrong").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Probes and the Admin API are not the Content API.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    let (id, key) = make_key(&app, &token, json!({"label": "Website"})).await;
    for _ in 0..2 {
        let res = get_with(&app, "/api/v1/articles?limit=1", &key).await;
        assert_eq!(
            json_of(res, StatusCode::OK).await["data"][0]["slug"],
            "nokia-deal"
        );
    }
    // As a query parameter, beside the listing's own.
    let res = app
        .get(&format!("/api/v1/articles?limit=1&key={key}"))
        .await;
    assert_eq!(res.headers()["x-cache"], "hit");
    json_of(res, StatusCode::OK).await;
    let res = app
        .get(&format!("/api/v1/articles/nokia-deal?key={key}"))
        .await;
    json_of(res, StatusCode::OK).await;
    // A cached page is no way around it.
    problem(
        app.get("/api/v1/articles?limit=1").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // The list shows keys by prefix, never the key.
    let res = app.get_auth("/api/v1/admin/content-keys", &token).await;
    let listed = json_of(res, StatusCode::OK).await;
    assert_eq!(listed["data"][0]["label"], "Website");
    assert!(listed["data"][0].get("key").is_none());

    // Revoked: at once.
    let res = app
        .delete(&format!("/api/v1/admin/content-keys/{id}"), &token)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        get_with(&app, "/api/v1/articles", &key).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

async fn keys_are_held_to_their_rate(app: TestApp) {
    let token = app.admin_token().await;
    let (id, key) = make_key(
        &app,
        &token,
        json!({"label": "Newsletter", "rate_per_minute": 2}),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            get_with(&app, "/api/v1/topics", &key).await.status(),
            StatusCode::OK
        );
    }
    let res = get_with(&app, "/api/v1/topics", &key).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    // Another key has its own allowance.
    let (_, other) = make_key(&app, &token, json!({"label": "App"})).await;
    assert_eq!(
        get_with(&app, "/api/v1/topics", &other).await.status(),
        StatusCode::OK
    );
    // A new rate takes effect at once.
    let res = app
        .patch(
            &format!("/api/v1/admin/content-keys/{id}"),
            &token,
            json!({"rate_per_minute": 100, "label": "Newsletter (more)"}),
        )
        .await;
    assert_eq!(
        json_of(res, StatusCode::OK).await["data"]["rate_per_minute"],
        100
    );
    assert_eq!(
        get_with(&app, "/api/v1/topics", &key).await.status(),
        StatusCode::OK
    );

    // Admins only; bounds.
    let (editor_token, _) = editor(&app).await;
    let res = app
        .get_auth("/api/v1/admin/content-keys", &editor_token)
        .await;
    problem(res, StatusCode::FORBIDDEN).await;
    for body in [
        json!({"label": ""}),
        json!({"label": "x", "rate_per_minute": 0}),
    ] {
        let res = app.post("/api/v1/admin/content-keys", &token, body).await;
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

crate::backend_tests!(
    settings: super::key_mode;
    only_keys_read_the_content_api,
    keys_are_held_to_their_rate
);

/// In the default public mode no key is needed, and a `key` parameter changes nothing.
#[actix_web::test]
async fn public_mode_ignores_keys() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    json_of(app.get("/api/v1/articles").await, StatusCode::OK).await;
    json_of(
        app.get("/api/v1/articles?key=anything&limit=2").await,
        StatusCode::OK,
    )
    .await;
}
