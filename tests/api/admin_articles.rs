//! The Admin API for articles: writes, derived fields, versions, history, publishing.

use reqwest::StatusCode;
use serde_json::json;

use crate::factories::{draft, editor, publish, slugs, topic};
use crate::helpers::{TestApp, json_of, problem};

async fn creating_an_article_derives_slug_excerpt_html_and_reading_time(app: TestApp) {
    let (token, andy) = editor(&app).await;
    let body = format!("# Heading\n\n{}", "word ".repeat(500));
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Xiaomi’s 12S — with Leica!", "body_markdown": body}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["etag"], "\"v1\"");
    let article = json_of(res, StatusCode::CREATED).await["data"].clone();
    assert_eq!(
        location,
        format!("/api/v1/admin/articles/{}", article["id"])
    );
    assert_eq!(article["slug"], "xiaomis-12s-with-leica");
    assert_eq!(article["status"], "draft");
    assert_eq!(article["version"], 1);
    assert_eq!(article["reading_time_minutes"], 3);
    assert_eq!(article["excerpt_is_custom"], false);
    assert!(
        article["excerpt"]
            .as_str()
            .unwrap()
            .starts_with("Heading word word")
    );
    assert!(
        article["body_html"]
            .as_str()
            .unwrap()
            .contains("<h1>Heading</h1>")
    );
    assert_eq!(
        article["authors"][0]["id"], andy,
        "the caller's author by default"
    );

    // The same title again gets a free slug instead of a conflict.
    let again = draft(&app, &token, "Xiaomi’s 12S — with Leica!", json!({})).await;
    assert_eq!(again["slug"], "xiaomis-12s-with-leica-2");
    // A given slug that is taken is a conflict naming the field.
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "X", "slug": "xiaomis-12s-with-leica"}),
        )
        .await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(body["errors"][0]["field"], "slug");
}

async fn patch_changes_only_what_it_names_and_null_clears(app: TestApp) {
    let (token, _) = editor(&app).await;
    let t = topic(&app, &token, "Nokia", None).await;
    let article = draft(
        &app,
        &token,
        "Patch me",
        json!({"subtitle": "Sub", "excerpt": "Custom", "topic_ids": [t],
               "feature_image": {"url": "https://img.example.com/a.jpg", "credit": "Andy Boxall/Digital Trends"},
               "seo": {"meta_title": "Meta"}}),
    )
    .await;
    let id = article["id"].as_i64().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"subtitle": null, "excerpt": null, "seo": {"meta_description": "Desc"}}),
        )
        .await;
    assert_eq!(res.headers()["etag"], "\"v2\"");
    let patched = json_of(res, StatusCode::OK).await["data"].clone();
    assert_eq!(patched["title"], "Patch me");
    assert_eq!(patched["subtitle"], serde_json::Value::Null);
    assert_eq!(patched["excerpt_is_custom"], false);
    assert_eq!(patched["excerpt"], "Body of Patch me.");
    assert_eq!(patched["seo"]["meta_title"], "Meta");
    assert_eq!(patched["seo"]["meta_description"], "Desc");
    assert_eq!(
        patched["feature_image"]["credit"],
        "Andy Boxall/Digital Trends"
    );
    assert_eq!(patched["topics"][0]["slug"], "nokia");
    assert_eq!(patched["version"], 2);
}

async fn stale_versions_are_refused_and_change_nothing(app: TestApp) {
    let (token, _) = editor(&app).await;
    let id = draft(&app, &token, "Versioned", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    json_of(
        app.patch(&path, &token, json!({"title": "V2", "version": 1}))
            .await,
        StatusCode::OK,
    )
    .await;

    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"v1\"")
        .json(&json!({"title": "Lost update"}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PRECONDITION_FAILED).await;
    let res = app
        .patch(&path, &token, json!({"title": "Lost update", "version": 1}))
        .await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "version_conflict");

    // Well-formed tags that are not the current strong one: the precondition fails.
    for other in ["W/\"v2\"", "\"2\"", "\"v1\", \"v3\""] {
        let res = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&token)
            .header("If-Match", other)
            .json(&json!({"title": "Lost update"}))
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::PRECONDITION_FAILED).await;
    }
    // Not entity-tags at all: a malformed request.
    for garbage in ["nonsense", "null", "", "v2", "\"v2"] {
        let res = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&token)
            .header("If-Match", garbage)
            .json(&json!({"title": "Lost update"}))
            .send()
            .await
            .unwrap();
        let body = problem(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["code"], "invalid_if_match", "{garbage:?}");
    }
    let current = json_of(app.get_auth(&path, &token).await, StatusCode::OK).await;
    assert_eq!(current["data"]["title"], "V2");
    assert_eq!(current["data"]["version"], 2);
    let res = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"v2\"")
        .json(&json!({"title": "V3"}))
        .send()
        .await
        .unwrap();
    json_of(res, StatusCode::OK).await;
}

async fn concurrent_writes_on_one_version_let_exactly_one_win(app: TestApp) {
    let (token, _) = editor(&app).await;
    let id = draft(&app, &token, "Contended", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    let attempts = (0..6).map(|i| {
        app.patch(
            &path,
            &token,
            json!({"title": format!("Writer {i}"), "version": 1}),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let statuses: Vec<StatusCode> = results.iter().map(reqwest::Response::status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let current = json_of(app.get_auth(&path, &token).await, StatusCode::OK).await;
    assert_eq!(current["data"]["version"], 2);
    let revisions = json_of(
        app.get_auth(&format!("{path}/revisions"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        revisions["data"].as_array().unwrap().len(),
        2,
        "no lost or extra revision"
    );
}

async fn revisions_are_kept_and_an_old_one_can_be_restored(app: TestApp) {
    let (token, _) = editor(&app).await;
    let id = draft(&app, &token, "First words", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    json_of(
        app.patch(&path, &token, json!({"title": "Second words"}))
            .await,
        StatusCode::OK,
    )
    .await;
    let revisions = json_of(
        app.get_auth(&format!("{path}/revisions"), &token).await,
        StatusCode::OK,
    )
    .await;
    let titles: Vec<(i64, &str)> = revisions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["version"].as_i64().unwrap(), r["title"].as_str().unwrap()))
        .collect();
    assert_eq!(titles, [(2, "Second words"), (1, "First words")]);
    let restored = json_of(
        app.post(&format!("{path}/revisions/1/restore"), &token, json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(restored["data"]["title"], "First words");
    assert_eq!(restored["data"]["version"], 3);
    let res = app
        .post(&format!("{path}/revisions/9/restore"), &token, json!({}))
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
}

async fn publishing_unpublishing_and_archiving_move_articles_on_and_off_the_content_api(
    app: TestApp,
) {
    let (token, _) = editor(&app).await;
    let id = draft(&app, &token, "Lifecycle", json!({})).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    // Publish with no body at all.
    let res = app
        .request(
            reqwest::Method::POST,
            &format!("{path}/publish"),
            Some(&token),
            None,
        )
        .await;
    let published = json_of(res, StatusCode::OK).await;
    assert_eq!(published["data"]["status"], "published");
    let first_published_at = published["data"]["published_at"].clone();
    assert_eq!(
        app.get("/api/v1/articles/lifecycle").await.status(),
        StatusCode::OK
    );

    // `null` is the same as no body.
    let res = app
        .post(
            &format!("{path}/unpublish"),
            &token,
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(
        json_of(res, StatusCode::OK).await["data"]["status"],
        "draft"
    );
    publish(&app, &token, id, None).await;
    let res = app
        .post(
            &format!("{path}/unpublish"),
            &token,
            json!({"status": "archived"}),
        )
        .await;
    assert_eq!(
        json_of(res, StatusCode::OK).await["data"]["status"],
        "archived"
    );
    assert_eq!(
        app.get("/api/v1/articles/lifecycle").await.status(),
        StatusCode::NOT_FOUND
    );

    // Re-publishing keeps the original publication date.
    let again = publish(&app, &token, id, None).await;
    assert_eq!(again["published_at"], first_published_at);
    let res = app
        .post(&format!("{path}/unpublish"), &token, json!({}))
        .await;
    assert_eq!(
        json_of(res, StatusCode::OK).await["data"]["status"],
        "draft"
    );

    let list = json_of(
        app.get_auth("/api/v1/admin/articles?status=draft", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(slugs(&list), ["lifecycle"]);
    let res = app.delete(&path, &token).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(app.get_auth(&path, &token).await, StatusCode::NOT_FOUND).await;
}

async fn admin_listing_filters_by_status_author_and_topic(app: TestApp) {
    let (token, _) = editor(&app).await;
    let nokia = topic(&app, &token, "Nokia", None).await;
    draft(&app, &token, "Draft one", json!({"topic_ids": [nokia]})).await;
    let p = draft(&app, &token, "Published one", json!({})).await;
    publish(&app, &token, p["id"].as_i64().unwrap(), None).await;
    let s = draft(&app, &token, "Scheduled one", json!({})).await;
    publish(
        &app,
        &token,
        s["id"].as_i64().unwrap(),
        Some("2999-01-01T00:00:00Z"),
    )
    .await;
    let get = |q: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            json_of(
                app.get_auth(&format!("/api/v1/admin/articles{q}"), &token)
                    .await,
                StatusCode::OK,
            )
            .await
        }
    };
    assert_eq!(slugs(&get("?status=scheduled").await), ["scheduled-one"]);
    assert_eq!(slugs(&get("?status=published").await), ["published-one"]);
    assert_eq!(slugs(&get("?topic=nokia").await), ["draft-one"]);
    assert_eq!(
        slugs(&get("?author=andy-boxall&sort=title").await),
        ["draft-one", "published-one", "scheduled-one"]
    );
    let all = get("?count=true").await;
    assert_eq!(all["meta"]["pagination"]["total"], 3);
    assert_eq!(
        all["data"][0]["status"], "scheduled",
        "most recently updated first"
    );
    let res = app
        .get_auth("/api/v1/admin/articles?status=bogus", &token)
        .await;
    problem(res, StatusCode::BAD_REQUEST).await;
}

async fn references_to_missing_authors_topics_or_lists_are_invalid(app: TestApp) {
    let (token, _) = editor(&app).await;
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Bad refs", "author_ids": [999], "topic_ids": [998], "related_list_id": 997}),
        )
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["author_ids", "topic_ids", "related_list_id"]);
}

/// A body that would take the sanitizer seconds (80,000 nested quotes) is a 422 naming the
/// limit, made before the write transaction; an edit of the title keeps the stored HTML.
async fn bodies_nested_too_deep_are_refused_and_others_render_once(app: TestApp) {
    let (token, _) = editor(&app).await;
    let deep = ">".repeat(80_000);
    let body = problem(
        app.post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Deep", "body_markdown": deep}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "body_markdown");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("at most 100")
    );

    let article = draft(
        &app,
        &token,
        "Shallow",
        json!({"body_markdown": "> Quoted **once**."}),
    )
    .await;
    let id = article["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    problem(
        app.patch(
            &path,
            &token,
            json!({"body_markdown": "<div>".repeat(1000)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let edited = json_of(
        app.patch(&path, &token, json!({"title": "Shallow, retitled"}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(edited["data"]["body_html"], article["body_html"]);
    assert_eq!(edited["data"]["excerpt"], "Quoted once.");
}

async fn titles_in_any_script_get_readable_slugs(app: TestApp) {
    let token = app.admin_token().await;
    for (title, slug) in [
        ("Новый смартфон Xiaomi", "novyi-smartfon-xiaomi"),
        ("Η Nokia στην Αθήνα", "e-nokia-sten-athena"),
        ("小米发布新手机", "xiao-mi-fa-bu-xin-shou-ji"),
        ("Điện thoại Nokia mới", "dien-thoai-nokia-moi"),
    ] {
        assert_eq!(
            draft(&app, &token, title, json!({})).await["slug"],
            slug,
            "{title}"
        );
    }
    let res = app
        .post("/api/v1/admin/topics", &token, json!({"name": "Смартфоны"}))
        .await;
    assert_eq!(
        json_of(res, StatusCode::CREATED).await["data"]["slug"],
        "smartfony"
    );
}

crate::backend_tests!(
    titles_in_any_script_get_readable_slugs,
    bodies_nested_too_deep_are_refused_and_others_render_once,
    creating_an_article_derives_slug_excerpt_html_and_reading_time,
    patch_changes_only_what_it_names_and_null_clears,
    stale_versions_are_refused_and_change_nothing,
    concurrent_writes_on_one_version_let_exactly_one_win,
    revisions_are_kept_and_an_old_one_can_be_restored,
    publishing_unpublishing_and_archiving_move_articles_on_and_off_the_content_api,
    admin_listing_filters_by_status_author_and_topic,
    references_to_missing_authors_topics_or_lists_are_invalid,
);
