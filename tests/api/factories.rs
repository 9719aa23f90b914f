//! Builders for test content, all through the Admin API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of};

pub async fn author(app: &TestApp, token: &str, name: &str) -> i64 {
    let res = app
        .post("/api/v1/admin/authors", token, json!({"name": name}))
        .await;
    json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .expect("author id")
}

pub async fn topic(app: &TestApp, token: &str, name: &str, parent_id: Option<i64>) -> i64 {
    let res = app
        .post(
            "/api/v1/admin/topics",
            token,
            json!({"name": name, "parent_id": parent_id}),
        )
        .await;
    json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .expect("topic id")
}

/// Creates a draft; `extra` fields are merged into the body.
pub async fn draft(app: &TestApp, token: &str, title: &str, extra: Value) -> Value {
    let mut body = json!({"title": title, "body_markdown": format!("Body of *{title}*.")});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    let res = app.post("/api/v1/admin/articles", token, body).await;
    json_of(res, StatusCode::CREATED).await["data"].clone()
}

pub async fn publish(app: &TestApp, token: &str, id: i64, publish_at: Option<&str>) -> Value {
    let body = match publish_at {
        Some(at) => json!({"publish_at": at}),
        None => json!({}),
    };
    let res = app
        .post(&format!("/api/v1/admin/articles/{id}/publish"), token, body)
        .await;
    json_of(res, StatusCode::OK).await["data"].clone()
}

/// A published article with a given publication time.
pub async fn published(
    app: &TestApp,
    token: &str,
    title: &str,
    published_at: &str,
    extra: Value,
) -> Value {
    let article = draft(app, token, title, extra).await;
    let id = article["id"].as_i64().expect("id");
    publish(app, token, id, Some(published_at)).await
}

/// An editor with a linked author profile: (token, author id).
pub async fn editor(app: &TestApp) -> (String, i64) {
    let admin = app.user_token("chief@headline.test", "admin", None).await;
    let author_id = author(app, &admin, "Andy Boxall").await;
    let token = app
        .user_token("editor@headline.test", "editor", Some(author_id))
        .await;
    (token, author_id)
}

pub fn slugs(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data array")
        .iter()
        .map(|a| {
            a["slug"]
                .as_str()
                .or_else(|| a["article"]["slug"].as_str())
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}
