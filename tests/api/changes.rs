//! The changes feed: what readers could see change, in order, with cursors.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::factories::{author, draft, publish, topic};
use crate::helpers::{TestApp, json_of, problem};

/// `(event, slug, previous_slug)` of each change in a feed page.
fn events(page: &Value) -> Vec<(String, String, Option<String>)> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| {
            (
                c["event"].as_str().expect("event").to_owned(),
                c["slug"].as_str().unwrap_or_default().to_owned(),
                c["previous_slug"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn page(app: &TestApp, query: &str) -> Value {
    json_of(
        app.get(&format!("/api/v1/changes{query}")).await,
        StatusCode::OK,
    )
    .await
}

fn ev(event: &str, slug: &str) -> (String, String, Option<String>) {
    (event.to_owned(), slug.to_owned(), None)
}

async fn feed_follows_what_readers_see(app: TestApp) {
    let token = app.admin_token().await;
    // No `since`: the present, with nothing in it.
    let start = page(&app, "").await;
    assert_eq!(start["data"], json!([]));
    assert_eq!(start["meta"]["has_more"], false);
    let since = start["meta"]["next"].as_str().unwrap().to_owned();

    let andy = author(&app, &token, "Andy Boxall").await;
    topic(&app, &token, "Xiaomi", None).await;
    let a = draft(&app, &token, "Alpha", json!({"author_ids": [andy]})).await;
    let id = a["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    // Edits of a draft are nobody's business.
    let res = app
        .patch(&path, &token, json!({"title": "Alpha draft"}))
        .await;
    json_of(res, StatusCode::OK).await;
    publish(&app, &token, id, None).await;
    let res = app
        .patch(&path, &token, json!({"subtitle": "Now with more"}))
        .await;
    json_of(res, StatusCode::OK).await;
    let res = app
        .patch(&path, &token, json!({"slug": "alpha-moved"}))
        .await;
    json_of(res, StatusCode::OK).await;
    let res = app
        .post(&format!("{path}/unpublish"), &token, json!({}))
        .await;
    json_of(res, StatusCode::OK).await;
    publish(&app, &token, id, None).await;
    let res = app.delete(&path, &token).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // A draft deleted leaves no trace either.
    let hidden = draft(&app, &token, "Hidden", json!({})).await;
    let res = app
        .delete(&format!("/api/v1/admin/articles/{}", hidden["id"]), &token)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let all = page(&app, &format!("?since={since}")).await;
    assert_eq!(
        events(&all),
        [
            ev("author.created", "andy-boxall"),
            ev("topic.created", "xiaomi"),
            ev("article.published", "alpha"),
            ev("article.updated", "alpha"),
            (
                "article.updated".to_owned(),
                "alpha-moved".to_owned(),
                Some("alpha".to_owned())
            ),
            ev("article.unpublished", "alpha-moved"),
            ev("article.published", "alpha-moved"),
            ev("article.deleted", "alpha-moved"),
        ]
    );
    let first = &all["data"][0];
    assert_eq!(first["entity"], "author");
    assert_eq!(first["id"], andy);
    assert!(first["changed_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(all["data"][2]["id"], id);
    assert_eq!(all["meta"]["has_more"], false);
    let next = all["meta"]["next"].as_str().unwrap().to_owned();

    // Pages of two walk the same changes, and say when more wait.
    let mut walked = Vec::new();
    let mut cursor = since.clone();
    loop {
        let p = page(&app, &format!("?since={cursor}&limit=2")).await;
        walked.extend(events(&p));
        cursor = p["meta"]["next"].as_str().unwrap().to_owned();
        if p["meta"]["has_more"] == false {
            break;
        }
        assert_eq!(p["data"].as_array().unwrap().len(), 2);
    }
    assert_eq!(walked, events(&all));
    assert_eq!(cursor, next);
    // At the end the cursor stays put.
    let end = page(&app, &format!("?since={next}")).await;
    assert_eq!(end["data"], json!([]));
    assert_eq!(end["meta"]["next"], next.as_str());

    // A scheduled article appears when its time comes, not when it is scheduled.
    let later = draft(&app, &token, "Later", json!({})).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    publish(&app, &token, later["id"].as_i64().unwrap(), Some(&at)).await;
    assert_eq!(
        page(&app, &format!("?since={next}")).await["data"],
        json!([])
    );
    app.state.clock.advance(chrono::Duration::hours(2));
    let mut shown = Value::Null;
    for _ in 0..200 {
        shown = page(&app, &format!("?since={next}")).await;
        if !shown["data"].as_array().unwrap().is_empty() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(events(&shown), [ev("article.published", "later")]);
    // Editing it afterwards is an update, not a second publication.
    let res = app
        .patch(
            &format!("/api/v1/admin/articles/{}", later["id"]),
            &token,
            json!({"subtitle": "On time"}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let after = page(&app, &format!("?since={next}")).await;
    assert_eq!(
        events(&after),
        [
            ev("article.published", "later"),
            ev("article.updated", "later")
        ]
    );
}

async fn bad_cursors_and_limits_are_clear_errors(app: TestApp) {
    for query in [
        "?since=abc",
        "?since=-1",
        "?since=%2B5",
        "?limit=0",
        "?limit=1001",
        "?from=3",
    ] {
        let body = problem(
            app.get(&format!("/api/v1/changes{query}")).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body["detail"].is_string(), "{query}: {body}");
    }
}

crate::backend_tests!(
    feed_follows_what_readers_see,
    bad_cursors_and_limits_are_clear_errors
);
