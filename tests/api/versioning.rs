//! Versioned writes behave alike on every admin resource: `If-Match` (412 when stale, 400
//! when malformed), a body `version` (409 when stale), and a stale write changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, problem};

/// Sends `method path` as `token` with `If-Match: if_match` (when given) and `body`.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(tag) = if_match {
        req = req.header("If-Match", tag);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// The resource's version and ETag as a GET shows them.
async fn version(app: &TestApp, path: &str, token: &str) -> (i64, String) {
    let res = app.get_auth(path, token).await;
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body = json_of(res, StatusCode::OK).await;
    (body["data"]["version"].as_i64().unwrap(), etag)
}

/// One resource: where it is created, with what, and a harmless edit of it.
struct Case {
    collection: &'static str,
    create: Value,
    edit: Value,
}

async fn every_resource_checks_versions_alike(app: TestApp) {
    let token = app.admin_token().await;
    let cases = [
        Case {
            collection: "/api/v1/admin/articles",
            create: json!({"title": "Versioned"}),
            edit: json!({"title": "Versioned, edited"}),
        },
        Case {
            collection: "/api/v1/admin/authors",
            create: json!({"name": "Ada Versioned"}),
            edit: json!({"job_title": "Editor"}),
        },
        Case {
            collection: "/api/v1/admin/topics",
            create: json!({"name": "Versioned"}),
            edit: json!({"description": "Edited"}),
        },
        Case {
            collection: "/api/v1/admin/lists",
            create: json!({"title": "Versioned"}),
            edit: json!({"description": "Edited"}),
        },
        Case {
            collection: "/api/v1/admin/users",
            create: json!({"email": "versioned@headline.test", "password": "long enough password", "role": "editor"}),
            edit: json!({"role": "author"}),
        },
        Case {
            collection: "/api/v1/admin/content-keys",
            create: json!({"label": "Versioned"}),
            edit: json!({"label": "Edited"}),
        },
        Case {
            collection: "/api/v1/admin/webhooks",
            create: json!({"url": "http://127.0.0.1:9/hook", "events": ["*"], "active": false}),
            edit: json!({"description": "Edited"}),
        },
    ];
    for case in cases {
        let what = case.collection;
        let res = app.post(what, &token, case.create).await;
        let id = json_of(res, StatusCode::CREATED).await["data"]["id"]
            .as_i64()
            .unwrap();
        let path = format!("{what}/{id}");
        let (v1, etag) = version(&app, &path, &token).await;
        assert_eq!(etag, format!("\"v{v1}\""), "{what}");

        for stale in ["\"v999\"", &format!("W/\"v{v1}\""), "\"x\", \"v0\""] {
            let res = send(
                &app,
                Method::PATCH,
                &path,
                &token,
                Some(stale),
                Some(case.edit.clone()),
            )
            .await;
            problem(res, StatusCode::PRECONDITION_FAILED).await;
            let res = send(&app, Method::DELETE, &path, &token, Some(stale), None).await;
            problem(res, StatusCode::PRECONDITION_FAILED).await;
        }
        for garbage in ["", "null", "v1", "\"v1"] {
            let res = send(
                &app,
                Method::PATCH,
                &path,
                &token,
                Some(garbage),
                Some(case.edit.clone()),
            )
            .await;
            let body = problem(res, StatusCode::BAD_REQUEST).await;
            assert_eq!(body["code"], "invalid_if_match", "{what} {garbage:?}");
        }
        let mut stale_body = case.edit.clone();
        stale_body["version"] = json!(v1 + 7);
        let res = send(&app, Method::PATCH, &path, &token, None, Some(stale_body)).await;
        let body = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(body["code"], "version_conflict", "{what}");
        assert_eq!(
            version(&app, &path, &token).await.0,
            v1,
            "{what}: a stale write changed it"
        );

        let res = send(
            &app,
            Method::PATCH,
            &path,
            &token,
            Some(&etag),
            Some(case.edit.clone()),
        )
        .await;
        let new_tag = res.headers()["etag"].to_str().unwrap().to_owned();
        let saved = json_of(res, StatusCode::OK).await;
        assert_eq!(saved["data"]["version"], v1 + 1, "{what}");
        assert_eq!(new_tag, format!("\"v{}\"", v1 + 1), "{what}");

        let res = send(&app, Method::DELETE, &path, &token, Some(&etag), None).await;
        problem(res, StatusCode::PRECONDITION_FAILED).await;
        let res = send(&app, Method::DELETE, &path, &token, Some(&new_tag), None).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{what}");
        let res = app.get_auth(&path, &token).await;
        problem(res, StatusCode::NOT_FOUND).await;
    }
}

/// Publishing, unpublishing, restoring and replacing a list's items take the same
/// precondition as an edit.
async fn actions_check_versions_like_edits(app: TestApp) {
    let token = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Acted on"}),
        )
        .await;
    let id = json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .unwrap();
    let article = format!("/api/v1/admin/articles/{id}");
    let res = app
        .post("/api/v1/admin/lists", &token, json!({"title": "Acted on"}))
        .await;
    let list = json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .unwrap();
    let list = format!("/api/v1/admin/lists/{list}");
    let actions = [
        (
            Method::POST,
            format!("{article}/publish"),
            None,
            article.as_str(),
        ),
        (
            Method::POST,
            format!("{article}/unpublish"),
            None,
            article.as_str(),
        ),
        (
            Method::POST,
            format!("{article}/revisions/1/restore"),
            None,
            article.as_str(),
        ),
        (
            Method::PUT,
            format!("{list}/items"),
            Some(json!({"items": []})),
            list.as_str(),
        ),
    ];
    for (method, path, body, resource) in actions {
        let (before, etag) = version(&app, resource, &token).await;
        let res = send(
            &app,
            method.clone(),
            &path,
            &token,
            Some("\"v999\""),
            body.clone(),
        )
        .await;
        problem(res, StatusCode::PRECONDITION_FAILED).await;
        let res = send(
            &app,
            method.clone(),
            &path,
            &token,
            Some("nonsense"),
            body.clone(),
        )
        .await;
        problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(version(&app, resource, &token).await.0, before, "{path}");
        let res = send(&app, method, &path, &token, Some(&etag), body).await;
        let saved = json_of(res, StatusCode::OK).await;
        assert_eq!(saved["data"]["version"], before + 1, "{path}");
    }
}

crate::backend_tests!(
    settings: |s| s.webhook_allow_private = true;
    every_resource_checks_versions_alike,
    actions_check_versions_like_edits,
);
