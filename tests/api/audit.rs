//! The audit log: logins, failed logins, logouts and every Admin API write of a signed-in
//! user, with who, what, which entity, status, request id and address.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::factories::{author, draft, publish};
use crate::helpers::{TestApp, json_of, problem};

async fn log(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let res = app
        .get_auth(&format!("/api/v1/admin/audit-log{query}"), token)
        .await;
    json_of(res, StatusCode::OK).await["data"]
        .as_array()
        .expect("data")
        .clone()
}

fn actions(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect()
}

async fn every_admin_write_and_login_is_recorded(app: TestApp) {
    let admin = app.admin_token().await;
    let andy = author(&app, &admin, "Andy Boxall").await;
    let contributor = app
        .user_token("contrib@headline.test", "contributor", Some(andy))
        .await;

    // A failed login names the account it tried; nobody is signed in.
    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "Mallory@Example.com", "password": "guess-guess-guess"})),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;

    // Writes: create, update, publish, delete; a webhook and a content key.
    let a = draft(&app, &admin, "Nokia deal", json!({"author_ids": [andy]})).await;
    let id = a["id"].as_i64().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/admin/articles/{id}"),
            &admin,
            json!({"subtitle": "More"}),
        )
        .await;
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    json_of(res, StatusCode::OK).await;
    publish(&app, &admin, id, None).await;
    // Refused: a contributor may not unpublish. Kept, with its status.
    let res = app
        .post(
            &format!("/api/v1/admin/articles/{id}/unpublish"),
            &contributor,
            json!({}),
        )
        .await;
    problem(res, StatusCode::FORBIDDEN).await;
    let res = app
        .post(
            "/api/v1/admin/content-keys",
            &admin,
            json!({"label": "Website"}),
        )
        .await;
    let key = json_of(res, StatusCode::CREATED).await["data"]["id"].clone();
    let res = app
        .delete(&format!("/api/v1/admin/content-keys/{key}"), &admin)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .delete(&format!("/api/v1/admin/articles/{id}"), &admin)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Without a token nothing is written: the log cannot be filled from outside.
    let res = app
        .request(
            Method::POST,
            "/api/v1/admin/topics",
            None,
            Some(json!({"name": "X"})),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;

    let all = log(&app, &admin, "?limit=100").await;
    assert_eq!(
        actions(&all),
        [
            "article.delete",
            "content_key.delete",
            "content_key.create",
            "article.unpublish",
            "article.publish",
            "article.update",
            "article.create",
            "auth.login_failed",
            "auth.login",
            "author.create",
            "auth.login",
        ]
    );
    let created = &all[6];
    assert_eq!(created["entity"], "article");
    assert_eq!(
        created["entity_id"], id,
        "a create's id comes from Location"
    );
    assert_eq!(created["status"], 201);
    assert_eq!(created["method"], "POST");
    assert_eq!(created["path"], "/api/v1/admin/articles");
    assert_eq!(created["address"], "127.0.0.1");
    assert_eq!(all[5]["request_id"], request_id.as_str());
    let refused = &all[3];
    assert_eq!(refused["status"], 403);
    assert_eq!(refused["entity_id"], id);
    assert_ne!(refused["user_id"], created["user_id"]);
    let failed = &all[7];
    assert_eq!(failed["email"], "mallory@example.com");
    assert_eq!(failed["user_id"], Value::Null);
    assert_eq!(all[10]["email"], "admin@headline.test");
    assert!(all[0]["at"].as_str().unwrap().ends_with('Z'));

    // Filters and cursors.
    let published = log(&app, &admin, "?action=article.publish").await;
    assert_eq!(published.len(), 1);
    let about = log(&app, &admin, &format!("?entity=article&entity_id={id}")).await;
    assert_eq!(about.len(), 5);
    let by = log(&app, &admin, &format!("?user_id={}", refused["user_id"])).await;
    assert_eq!(actions(&by), ["article.unpublish", "auth.login"]);
    let future = log(&app, &admin, "?since=2999-01-01T00:00:00Z").await;
    assert!(future.is_empty());
    let res = app
        .get_auth("/api/v1/admin/audit-log?limit=4", &admin)
        .await;
    let first = json_of(res, StatusCode::OK).await;
    let next = first["meta"]["pagination"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = log(&app, &admin, &format!("?limit=4&cursor={next}")).await;
    assert_eq!(second[0]["id"], all[4]["id"]);

    // Only admins read the log.
    let res = app.get_auth("/api/v1/admin/audit-log", &contributor).await;
    problem(res, StatusCode::FORBIDDEN).await;

    // A logout (which ends the contributor's access tokens too).
    let session = app.login("contrib@headline.test").await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": session["refresh_token"]})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        actions(&log(&app, &admin, "?limit=1").await),
        ["auth.logout"]
    );
    let res = app.get_auth("/api/v1/admin/me", &contributor).await;
    problem(res, StatusCode::UNAUTHORIZED).await;
}

crate::backend_tests!(every_admin_write_and_login_is_recorded);
