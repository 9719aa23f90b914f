//! Related-content lists: curated items, replaced in one transaction, resolved on the Content API.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::factories::{draft, editor, published};
use crate::helpers::{TestApp, json_of, problem};

async fn lists_resolve_articles_and_links_in_order_and_hide_unpublished_articles(app: TestApp) {
    let (token, _) = editor(&app).await;
    let a = published(
        &app,
        &token,
        "Published pick",
        "2024-01-01T00:00:00Z",
        json!({}),
    )
    .await;
    let d = draft(&app, &token, "Draft pick", json!({})).await;
    let res = app
        .post(
            "/api/v1/admin/lists",
            &token,
            json!({"title": "Recommended Videos", "items": [
                {"url": "https://videos.example.com/one", "title": "One", "kind": "video", "image_url": "https://img.example.com/1.jpg"},
                {"article_id": d["id"]},
                {"article_id": a["id"]},
            ]}),
        )
        .await;
    let list = json_of(res, StatusCode::CREATED).await;
    assert_eq!(list["data"]["slug"], "recommended-videos");
    assert_eq!(list["data"]["items"].as_array().unwrap().len(), 3);

    let public = json_of(
        app.get("/api/v1/lists/recommended-videos").await,
        StatusCode::OK,
    )
    .await;
    let items = public["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the draft is left out");
    assert_eq!(items[0]["type"], "external");
    assert_eq!(items[0]["kind"], "video");
    assert_eq!(items[0]["url"], "https://videos.example.com/one");
    assert_eq!(items[1]["type"], "article");
    assert_eq!(items[1]["article"]["slug"], "published-pick");
}

async fn putting_items_replaces_them_all_or_changes_nothing(app: TestApp) {
    let (token, _) = editor(&app).await;
    let a = published(&app, &token, "Pick A", "2024-01-01T00:00:00Z", json!({})).await;
    let b = published(&app, &token, "Pick B", "2024-01-02T00:00:00Z", json!({})).await;
    let res = app
        .post(
            "/api/v1/admin/lists",
            &token,
            json!({"title": "Read more", "items": [{"article_id": a["id"]}]}),
        )
        .await;
    let id = json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/lists/{id}/items");

    let res = app
        .request(
            Method::PUT,
            &path,
            Some(&token),
            Some(
                json!({"items": [{"article_id": b["id"]}, {"article_id": a["id"]}], "version": 1}),
            ),
        )
        .await;
    let list = json_of(res, StatusCode::OK).await;
    assert_eq!(list["data"]["version"], 2);
    let ids: Vec<i64> = list["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["article_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [b["id"].as_i64().unwrap(), a["id"].as_i64().unwrap()]);

    // One bad item: nothing changes.
    let res = app
        .request(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"items": [{"article_id": a["id"]}, {"article_id": 999_999}]})),
        )
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "items[1].article_id");
    let res = app
        .request(Method::PUT, &path, Some(&token), Some(json!({"items": [{"url": "ftp://x", "title": ""}, {"article_id": 1, "url": "https://x.example.com"}]})))
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 3);
    let res = app
        .request(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"items": [], "version": 1})),
        )
        .await;
    problem(res, StatusCode::CONFLICT).await;

    let current = json_of(
        app.get_auth(&format!("/api/v1/admin/lists/{id}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(current["data"]["version"], 2);
    assert_eq!(current["data"]["items"].as_array().unwrap().len(), 2);
}

async fn deleting_a_list_detaches_it_from_articles(app: TestApp) {
    let (token, _) = editor(&app).await;
    let res = app
        .post("/api/v1/admin/lists", &token, json!({"title": "Temporary"}))
        .await;
    let list_id = json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .unwrap();
    let article = draft(
        &app,
        &token,
        "Uses a list",
        json!({"related_list_id": list_id}),
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/admin/lists/{list_id}"), &token)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let path = format!("/api/v1/admin/articles/{}", article["id"]);
    let reloaded = json_of(app.get_auth(&path, &token).await, StatusCode::OK).await;
    assert_eq!(reloaded["data"]["related_list_id"], serde_json::Value::Null);
    assert_eq!(
        app.get("/api/v1/lists/temporary").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::backend_tests!(
    lists_resolve_articles_and_links_in_order_and_hide_unpublished_articles,
    putting_items_replaces_them_all_or_changes_nothing,
    deleting_a_list_detaches_it_from_articles,
);
