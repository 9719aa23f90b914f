//! Draft previews: a link to one article's current state, private and short-lived.

use reqwest::StatusCode;
use serde_json::json;

use crate::factories::{author, draft};
use crate::helpers::{TestApp, json_of, problem};

async fn mint(app: &TestApp, token: &str, id: i64, body: serde_json::Value) -> String {
    let res = app
        .post(&format!("/api/v1/admin/articles/{id}/preview"), token, body)
        .await;
    let minted = json_of(res, StatusCode::CREATED).await;
    minted["data"]["path"].as_str().expect("path").to_owned()
}

async fn previews_show_the_draft_privately_until_they_end(app: TestApp) {
    let admin = app.admin_token().await;
    let mine = author(&app, &admin, "Andy Boxall").await;
    let theirs = author(&app, &admin, "Jane Doe").await;
    let contributor = app
        .user_token("contrib@headline.test", "contributor", Some(mine))
        .await;
    let a = draft(
        &app,
        &contributor,
        "Secret scoop",
        json!({"author_ids": [mine]}),
    )
    .await;
    let a_id = a["id"].as_i64().unwrap();
    let b = draft(&app, &admin, "Other story", json!({"author_ids": [theirs]})).await;
    let b_id = b["id"].as_i64().unwrap();

    // The article's own contributor may mint one; not for someone else's article.
    let path = mint(&app, &contributor, a_id, json!({})).await;
    let res = app
        .post(
            &format!("/api/v1/admin/articles/{b_id}/preview"),
            &contributor,
            json!({}),
        )
        .await;
    problem(res, StatusCode::FORBIDDEN).await;

    let res = app.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert!(res.headers().get("etag").is_none());
    assert!(res.headers().get("x-cache").is_none());
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["data"]["title"], "Secret scoop");
    assert_eq!(body["data"]["authors"][0]["name"], "Andy Boxall");
    assert!(
        body["data"]["body_html"]
            .as_str()
            .unwrap()
            .contains("<em>Secret scoop</em>")
    );
    // Still a draft to everyone else.
    let listed = json_of(app.get("/api/v1/articles").await, StatusCode::OK).await;
    assert_eq!(listed["data"], json!([]));
    problem(
        app.get("/api/v1/articles/secret-scoop").await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // An edit shows at once.
    let res = app
        .patch(
            &format!("/api/v1/admin/articles/{a_id}"),
            &contributor,
            json!({"title": "Bigger scoop"}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let now = json_of(app.get(&path).await, StatusCode::OK).await;
    assert_eq!(now["data"]["title"], "Bigger scoop");

    // A link shows its own article only; a made-up one shows nothing.
    let other = mint(&app, &admin, b_id, json!({})).await;
    let shown = json_of(app.get(&other).await, StatusCode::OK).await;
    assert_eq!(shown["data"]["id"], b_id);
    problem(
        app.get("/api/v1/preview/not-a-real-token").await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // Revoked: every link of the article ends; the other article's still works.
    let res = app
        .delete(
            &format!("/api/v1/admin/articles/{a_id}/preview"),
            &contributor,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    json_of(app.get(&other).await, StatusCode::OK).await;

    // Expired.
    let short = mint(&app, &admin, a_id, json!({"expires_in": 60})).await;
    json_of(app.get(&short).await, StatusCode::OK).await;
    app.state.clock.advance(chrono::Duration::seconds(61));
    problem(app.get(&short).await, StatusCode::NOT_FOUND).await;

    // Deleted with its article.
    let res = app
        .delete(&format!("/api/v1/admin/articles/{b_id}"), &admin)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(app.get(&other).await, StatusCode::NOT_FOUND).await;

    // Bounds.
    for expires_in in [59, 604_801] {
        let res = app
            .post(
                &format!("/api/v1/admin/articles/{a_id}/preview"),
                &admin,
                json!({"expires_in": expires_in}),
            )
            .await;
        problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

crate::backend_tests!(previews_show_the_draft_privately_until_they_end);
