//! The Content API: visibility, filters, sorts, includes, cursors, caching, redirects, related.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::factories::{author, draft, editor, publish, published, slugs, topic};
use crate::helpers::{TestApp, json_of};

async fn get_json(app: &TestApp, path: &str) -> Value {
    json_of(app.get(path).await, StatusCode::OK).await
}

async fn draft_and_scheduled_articles_are_invisible_on_the_content_api(app: TestApp) {
    let (token, _) = editor(&app).await;
    let xiaomi = topic(&app, &token, "Xiaomi", None).await;
    published(
        &app,
        &token,
        "Visible story",
        "2024-01-01T10:00:00Z",
        json!({"topic_ids": [xiaomi]}),
    )
    .await;
    draft(&app, &token, "Secret draft", json!({"topic_ids": [xiaomi]})).await;
    let scheduled = draft(&app, &token, "Future story", json!({"topic_ids": [xiaomi]})).await;
    publish(
        &app,
        &token,
        scheduled["id"].as_i64().unwrap(),
        Some("2999-01-01T00:00:00Z"),
    )
    .await;

    for path in [
        "/api/v1/articles",
        "/api/v1/articles?topic=xiaomi",
        "/api/v1/articles?author=andy-boxall",
        "/api/v1/articles?author=andy-boxall&sort=published_at",
        "/api/v1/articles?q=story",
    ] {
        assert_eq!(slugs(&get_json(&app, path).await), vec!["visible-story"]);
    }
    for slug in ["secret-draft", "future-story"] {
        let res = app.get(&format!("/api/v1/articles/{slug}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{slug} must be hidden");
        let res = app.get(&format!("/api/v1/articles/{slug}/related")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let topic = get_json(&app, "/api/v1/topics/xiaomi").await;
    assert_eq!(topic["data"]["article_count"], 1);
    let related = get_json(&app, "/api/v1/articles/visible-story/related").await;
    assert_eq!(
        related["data"],
        json!([]),
        "drafts and scheduled never appear as related"
    );
    // The admin view names the derived status.
    let admin = json_of(
        app.get_auth(
            &format!("/api/v1/admin/articles/{}", scheduled["id"]),
            &token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admin["data"]["status"], "scheduled");
}

async fn a_scheduled_article_appears_when_its_time_comes(app: TestApp) {
    let (token, _) = editor(&app).await;
    let nokia = topic(&app, &token, "Nokia", None).await;
    let article = draft(&app, &token, "Embargoed", json!({"topic_ids": [nokia]})).await;
    let id = article["id"].as_i64().unwrap();
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    publish(&app, &token, id, Some(&at)).await;
    let listings = [
        "/api/v1/articles",
        "/api/v1/articles?topic=nokia",
        "/api/v1/articles?author=andy-boxall",
        "/api/v1/articles?sort=published_at",
    ];
    for path in listings {
        assert_eq!(slugs(&get_json(&app, path).await), Vec::<String>::new());
    }
    assert_eq!(
        app.get("/api/v1/articles/embargoed").await.status(),
        StatusCode::NOT_FOUND
    );

    // Let the embargo pass without waiting: nothing is written and no job runs.
    app.state.clock.advance(chrono::Duration::hours(2));
    let shown = get_json(&app, "/api/v1/articles/embargoed").await;
    assert_eq!(shown["data"]["title"], "Embargoed");
    for path in listings {
        assert_eq!(slugs(&get_json(&app, path).await), ["embargoed"], "{path}");
    }
    let topic = get_json(&app, "/api/v1/topics/nokia").await;
    assert_eq!(topic["data"]["article_count"], 1);
}

/// Six published articles over two topics and two authors, one a day.
async fn newsroom(app: &TestApp) -> String {
    let (token, andy) = editor(app).await;
    let other = author(app, &token, "Jane Doe").await;
    let xiaomi = topic(app, &token, "Xiaomi", None).await;
    let nokia = topic(app, &token, "Nokia", None).await;
    let specs = [
        ("Alpha", "2024-01-01T10:00:00Z", vec![xiaomi], vec![andy]),
        ("Bravo", "2024-01-02T10:00:00Z", vec![nokia], vec![other]),
        (
            "Charlie",
            "2024-01-03T10:00:00Z",
            vec![xiaomi, nokia],
            vec![andy, other],
        ),
        ("Delta", "2024-01-04T10:00:00Z", vec![nokia], vec![andy]),
        ("Echo", "2024-01-05T10:00:00Z", vec![xiaomi], vec![other]),
        ("Foxtrot", "2024-01-06T10:00:00Z", vec![], vec![andy]),
    ];
    for (title, at, topics, authors) in specs {
        published(
            app,
            &token,
            title,
            at,
            json!({"topic_ids": topics, "author_ids": authors}),
        )
        .await;
    }
    token
}

async fn filters_select_by_topic_author_and_date(app: TestApp) {
    newsroom(&app).await;
    let by_topic = get_json(&app, "/api/v1/articles?topic=xiaomi").await;
    assert_eq!(slugs(&by_topic), vec!["echo", "charlie", "alpha"]);
    let any_of = get_json(&app, "/api/v1/articles?topic=xiaomi,nokia").await;
    assert_eq!(
        slugs(&any_of),
        vec!["echo", "delta", "charlie", "bravo", "alpha"]
    );
    let by_author = get_json(&app, "/api/v1/articles?author=jane-doe").await;
    assert_eq!(slugs(&by_author), vec!["echo", "charlie", "bravo"]);
    let combined = get_json(&app, "/api/v1/articles?author=jane-doe&topic=nokia").await;
    assert_eq!(slugs(&combined), vec!["charlie", "bravo"]);
    let window = get_json(
        &app,
        "/api/v1/articles?published_after=2024-01-02T10:00:00Z&published_before=2024-01-05T10:00:00Z",
    )
    .await;
    assert_eq!(slugs(&window), vec!["delta", "charlie"]);
    let unknown = get_json(&app, "/api/v1/articles?topic=no-such-topic").await;
    assert_eq!(slugs(&unknown), Vec::<String>::new());
}

/// Walks every page of `path` with `limit=2`; asserts no duplicates and returns the slugs.
async fn walk(app: &TestApp, path: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=2&cursor={c}"),
            None => format!("{path}{sep}limit=2"),
        };
        let page = get_json(app, &url).await;
        assert_eq!(page["meta"]["pagination"]["limit"], 2);
        seen.extend(slugs(&page));
        match page["meta"]["pagination"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a cursor walk repeated an article: {seen:?}"
    );
    seen
}

async fn every_sort_orders_and_cursor_walks_see_each_article_once(app: TestApp) {
    let token = newsroom(&app).await;
    let newest = ["foxtrot", "echo", "delta", "charlie", "bravo", "alpha"];
    assert_eq!(walk(&app, "/api/v1/articles").await, newest);
    assert_eq!(
        walk(&app, "/api/v1/articles?sort=-published_at").await,
        newest
    );
    let mut oldest = newest;
    oldest.reverse();
    assert_eq!(
        walk(&app, "/api/v1/articles?sort=published_at").await,
        oldest
    );
    assert_eq!(
        walk(&app, "/api/v1/articles?sort=title").await,
        ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    );
    // Touch Bravo: it becomes the most recently updated.
    let id = get_json(&app, "/api/v1/articles/bravo").await["data"]["id"]
        .as_i64()
        .unwrap();
    let res = app
        .patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"subtitle": "Updated"}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let updated = walk(&app, "/api/v1/articles?sort=-updated_at").await;
    assert_eq!(updated.first().map(String::as_str), Some("bravo"));
    assert_eq!(updated.len(), 6);
    // Filters and cursors combine, in both directions.
    assert_eq!(
        walk(&app, "/api/v1/articles?topic=nokia").await,
        ["delta", "charlie", "bravo"]
    );
    assert_eq!(
        walk(&app, "/api/v1/articles?author=andy-boxall").await,
        ["foxtrot", "delta", "charlie", "alpha"]
    );
    assert_eq!(
        walk(
            &app,
            "/api/v1/articles?author=andy-boxall&sort=published_at"
        )
        .await,
        ["alpha", "charlie", "delta", "foxtrot"]
    );
    assert_eq!(
        walk(
            &app,
            "/api/v1/articles?author=andy-boxall&published_after=2024-01-01T10:00:00Z&published_before=2024-01-06T10:00:00Z"
        )
        .await,
        ["delta", "charlie"]
    );
}

async fn ties_in_the_sort_key_do_not_lose_or_repeat_articles(app: TestApp) {
    let (token, _) = editor(&app).await;
    for title in ["One", "Two", "Three", "Four", "Five"] {
        published(&app, &token, title, "2024-03-01T12:00:00Z", json!({})).await;
    }
    let all = walk(&app, "/api/v1/articles").await;
    assert_eq!(all.len(), 5);
}

async fn count_is_only_given_on_request(app: TestApp) {
    newsroom(&app).await;
    let plain = get_json(&app, "/api/v1/articles?limit=2").await;
    assert!(plain["meta"]["pagination"].get("total").is_none());
    let counted = get_json(&app, "/api/v1/articles?limit=2&count=true&topic=nokia").await;
    assert_eq!(counted["meta"]["pagination"]["total"], 3);
    assert_eq!(counted["data"].as_array().unwrap().len(), 2);
}

async fn include_and_fields_shape_the_summaries(app: TestApp) {
    newsroom(&app).await;
    let both = get_json(&app, "/api/v1/articles?limit=1&sort=title").await;
    let alpha = &both["data"][0];
    assert_eq!(alpha["authors"][0]["slug"], "andy-boxall");
    assert_eq!(alpha["topics"][0]["slug"], "xiaomi");
    assert!(
        alpha["authors"][0].get("email").is_none(),
        "no staff data on the Content API"
    );

    let only_topics = get_json(&app, "/api/v1/articles?limit=1&include=topics").await;
    assert!(only_topics["data"][0].get("authors").is_none());
    assert!(only_topics["data"][0]["topics"].is_array());
    let none = get_json(&app, "/api/v1/articles?limit=1&include=").await;
    assert!(none["data"][0].get("authors").is_none() && none["data"][0].get("topics").is_none());

    let sparse = get_json(&app, "/api/v1/articles?limit=1&fields=slug,title").await;
    let keys: Vec<&String> = sparse["data"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["slug", "title"]);

    // Multi-author bylines keep their order, the first being primary.
    let charlie = get_json(&app, "/api/v1/articles/charlie").await;
    let names: Vec<&str> = charlie["data"]["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Andy Boxall", "Jane Doe"]);
}

async fn etags_revalidate_with_304_and_change_with_the_content(app: TestApp) {
    let token = newsroom(&app).await;
    for path in [
        "/api/v1/articles",
        "/api/v1/articles/alpha",
        "/api/v1/topics",
        "/api/v1/authors/andy-boxall",
    ] {
        let first = app.get(path).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong etag: {etag}"
        );
        assert!(
            first.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("public, max-age=")
        );
        // The tag itself; If-None-Match also compares weakly, takes a list, and `*` matches
        // any representation. Every 304 repeats the tag and has no body.
        for (condition, status) in [
            (etag.clone(), StatusCode::NOT_MODIFIED),
            (format!("W/{etag}"), StatusCode::NOT_MODIFIED),
            (format!("\"other\", {etag}"), StatusCode::NOT_MODIFIED),
            ("*".to_owned(), StatusCode::NOT_MODIFIED),
            ("\"other\", W/\"stale\"".to_owned(), StatusCode::OK),
        ] {
            let res = app
                .client
                .get(app.url(path))
                .header("If-None-Match", &condition)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), status, "{path} If-None-Match: {condition}");
            if status == StatusCode::NOT_MODIFIED {
                assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
                assert!(res.bytes().await.unwrap().is_empty());
            }
        }
    }
    let before = app.get("/api/v1/articles/alpha").await.headers()["etag"].clone();
    let id = get_json(&app, "/api/v1/articles/alpha").await["data"]["id"]
        .as_i64()
        .unwrap();
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"title": "Alpha 2"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let changed = app
        .client
        .get(app.url("/api/v1/articles/alpha"))
        .header("If-None-Match", before)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.status(),
        StatusCode::OK,
        "a changed article is sent again"
    );
}

async fn a_former_slug_redirects_to_the_current_one(app: TestApp) {
    let (token, _) = editor(&app).await;
    let article = published(&app, &token, "Old title", "2024-01-01T10:00:00Z", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"slug": "new-title"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let res = app.get("/api/v1/articles/old-title").await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()["location"], "/api/v1/articles/new-title");
    let res = app.get("/api/v1/articles/old-title/related").await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        res.headers()["location"],
        "/api/v1/articles/new-title/related"
    );
    get_json(&app, "/api/v1/articles/new-title").await;

    // The old slug cannot be taken by another article while it redirects.
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Other", "slug": "old-title"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // Moving back to the old slug is allowed and ends the redirect.
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"slug": "old-title"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    get_json(&app, "/api/v1/articles/old-title").await;
    assert_eq!(
        app.get("/api/v1/articles/new-title").await.status(),
        StatusCode::PERMANENT_REDIRECT
    );
}

async fn related_puts_the_curated_list_first_then_shared_topics_then_recency(app: TestApp) {
    let (token, _) = editor(&app).await;
    let a = topic(&app, &token, "A", None).await;
    let b = topic(&app, &token, "B", None).await;
    let c = topic(&app, &token, "C", None).await;
    let t = |ids: &[i64]| json!({"topic_ids": ids});
    let curated = published(
        &app,
        &token,
        "Curated pick",
        "2020-01-01T00:00:00Z",
        t(&[c]),
    )
    .await;
    let hidden = draft(&app, &token, "Curated draft", t(&[a, b])).await;
    let two_shared_old = published(
        &app,
        &token,
        "Two shared old",
        "2021-01-01T00:00:00Z",
        t(&[a, b]),
    )
    .await;
    published(
        &app,
        &token,
        "Two shared new",
        "2022-01-01T00:00:00Z",
        t(&[b, a]),
    )
    .await;
    published(
        &app,
        &token,
        "One shared newest",
        "2023-06-01T00:00:00Z",
        t(&[a]),
    )
    .await;
    published(
        &app,
        &token,
        "Nothing shared",
        "2023-07-01T00:00:00Z",
        t(&[c]),
    )
    .await;
    let list = json_of(
        app.post(
            "/api/v1/admin/lists",
            &token,
            json!({"title": "Read more", "items": [
                {"article_id": curated["id"]},
                {"article_id": hidden["id"]},
                {"url": "https://videos.example.com/v", "title": "A video", "kind": "video"},
                {"article_id": two_shared_old["id"]},
            ]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    published(
        &app,
        &token,
        "Subject",
        "2023-01-01T00:00:00Z",
        json!({"topic_ids": [a, b], "related_list_id": list["data"]["id"]}),
    )
    .await;

    let related = get_json(&app, "/api/v1/articles/subject/related?limit=10").await;
    let items = related["data"].as_array().unwrap();
    let described: Vec<String> = items
        .iter()
        .map(|i| match i["type"].as_str().unwrap() {
            "article" => format!(
                "{}:{}",
                i["source"].as_str().unwrap(),
                i["article"]["slug"].as_str().unwrap()
            ),
            _ => format!(
                "{}:{}",
                i["source"].as_str().unwrap(),
                i["url"].as_str().unwrap()
            ),
        })
        .collect();
    assert_eq!(
        described,
        [
            "curated:curated-pick",
            "curated:https://videos.example.com/v",
            "curated:two-shared-old",
            "automatic:two-shared-new",
            "automatic:one-shared-newest",
        ]
    );
    let limited = get_json(&app, "/api/v1/articles/subject/related?limit=2").await;
    assert_eq!(limited["data"].as_array().unwrap().len(), 2);
    let default = get_json(&app, "/api/v1/articles/subject").await;
    assert_eq!(default["data"]["related"].as_array().unwrap().len(), 5);
    assert!(
        default["data"]["body_html"]
            .as_str()
            .unwrap()
            .contains("<em>Subject</em>")
    );
}

async fn authors_and_topics_show_public_profiles_with_counts(app: TestApp) {
    let token = newsroom(&app).await;
    let xiaomi = get_json(&app, "/api/v1/topics/xiaomi").await["data"]["id"]
        .as_i64()
        .unwrap();
    topic(&app, &token, "Redmi", Some(xiaomi)).await;
    let topics = get_json(&app, "/api/v1/topics").await;
    let names: Vec<&str> = topics["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Nokia", "Redmi", "Xiaomi"]);
    let redmi = get_json(&app, "/api/v1/topics/redmi").await;
    assert_eq!(redmi["data"]["parent"]["slug"], "xiaomi");
    assert_eq!(redmi["data"]["article_count"], 0);
    assert_eq!(
        get_json(&app, "/api/v1/topics/nokia").await["data"]["article_count"],
        3
    );

    let andy = get_json(&app, "/api/v1/authors/andy-boxall").await;
    assert_eq!(andy["data"]["article_count"], 4);
    assert!(andy["data"].get("email").is_none() && andy["data"].get("user_id").is_none());
    let authors = get_json(&app, "/api/v1/authors?limit=1").await;
    assert_eq!(authors["data"].as_array().unwrap().len(), 1);
    assert!(authors["meta"]["pagination"]["next_cursor"].is_string());
    assert_eq!(
        app.get("/api/v1/authors/nobody").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The public article counts of topics and authors (kept by triggers, minus scheduled ones)
/// follow every kind of write, and the passing of a scheduled time.
async fn article_counts_follow_every_kind_of_write(app: TestApp) {
    let (token, andy) = editor(&app).await;
    let jane = author(&app, &token, "Jane Doe").await;
    let phones = topic(&app, &token, "Phones", None).await;
    let tablets = topic(&app, &token, "Tablets", None).await;
    let counts = || async {
        let mut out = Vec::new();
        for path in [
            "/api/v1/topics/phones",
            "/api/v1/topics/tablets",
            "/api/v1/authors/andy-boxall",
            "/api/v1/authors/jane-doe",
        ] {
            out.push(
                get_json(&app, path).await["data"]["article_count"]
                    .as_i64()
                    .unwrap(),
            );
        }
        // The listings say the same.
        for (path, first) in [("/api/v1/topics", out[0]), ("/api/v1/authors", out[2])] {
            assert_eq!(
                get_json(&app, path).await["data"][0]["article_count"],
                first
            );
        }
        // And so do the totals of filtered article listings (`count=true`), with and without
        // date bounds.
        for (filter, expected) in [
            ("topic=tablets", out[1]),
            ("author=jane-doe", out[3]),
            ("topic=tablets&published_after=2000-01-01T00:00:00Z", out[1]),
            ("author=jane-doe&sort=published_at", out[3]),
        ] {
            let page = get_json(
                &app,
                &format!("/api/v1/articles?{filter}&count=true&limit=1"),
            )
            .await;
            assert_eq!(page["meta"]["pagination"]["total"], expected, "{filter}");
        }
        out
    };
    let one = published(
        &app,
        &token,
        "One",
        "2024-01-01T00:00:00Z",
        json!({"topic_ids": [phones], "author_ids": [andy]}),
    )
    .await;
    let two = draft(
        &app,
        &token,
        "Two",
        json!({"topic_ids": [phones], "author_ids": [andy]}),
    )
    .await;
    assert_eq!(counts().await, [1, 0, 1, 0], "a draft does not count");
    let two_id = two["id"].as_i64().unwrap();
    publish(&app, &token, two_id, None).await;
    assert_eq!(counts().await, [2, 0, 2, 0], "published");
    let res = app
        .patch(
            &format!("/api/v1/admin/articles/{two_id}"),
            &token,
            json!({"topic_ids": [tablets], "author_ids": [jane]}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    assert_eq!(counts().await, [1, 1, 1, 1], "topics and bylines moved");
    let res = app
        .post(
            &format!("/api/v1/admin/articles/{}/unpublish", one["id"]),
            &token,
            json!({}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let res = app
        .post(
            &format!("/api/v1/admin/articles/{two_id}/unpublish"),
            &token,
            json!({"status": "archived"}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    assert_eq!(counts().await, [0, 0, 0, 0], "unpublished and archived");

    let three = draft(
        &app,
        &token,
        "Three",
        json!({"topic_ids": [tablets], "author_ids": [jane]}),
    )
    .await;
    let three_id = three["id"].as_i64().unwrap();
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    publish(&app, &token, three_id, Some(&at)).await;
    assert_eq!(counts().await, [0, 0, 0, 0], "scheduled does not count yet");
    app.state.clock.advance(chrono::Duration::hours(2));
    assert_eq!(counts().await, [0, 1, 0, 1], "its time came");
    let res = app
        .delete(&format!("/api/v1/admin/articles/{three_id}"), &token)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(counts().await, [0, 0, 0, 0], "deleted");
}

/// Topics and authors with many articles are filtered by probing the junction's key for each
/// article walked instead of listing all their articles (chosen from the kept counts): both
/// give the same pages and totals. Inflating the kept counts forces the probing path.
async fn big_topics_and_authors_filter_like_small_ones(app: TestApp) {
    newsroom(&app).await;
    let paths = [
        "/api/v1/articles?topic=nokia&sort=title",
        "/api/v1/articles?author=jane-doe&topic=nokia",
        "/api/v1/articles?topic=xiaomi,nokia&author=andy-boxall&sort=-updated_at",
        "/api/v1/articles?topic=xiaomi&published_after=2024-01-01T12:00:00Z&sort=title",
    ];
    let mut listed = Vec::new();
    for path in paths {
        let total =
            get_json(&app, &format!("{path}&count=true")).await["meta"]["pagination"]["total"]
                .clone();
        listed.push((walk(&app, path).await, total));
    }
    app.state
        .db
        .write_content(|conn| {
            use diesel::prelude::*;
            use headline::db::schema::{authors, topics};
            diesel::update(topics::table)
                .set(topics::published_count.eq(topics::published_count + 1_000_000))
                .execute(conn)?;
            diesel::update(authors::table)
                .set(authors::published_count.eq(authors::published_count + 1_000_000))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    for (path, (slugs, total)) in paths.into_iter().zip(listed) {
        assert!(!slugs.is_empty(), "{path}");
        assert_eq!(walk(&app, path).await, slugs, "{path}");
        let page = get_json(&app, &format!("{path}&count=true")).await;
        assert_eq!(page["meta"]["pagination"]["total"], total, "{path}");
    }
}

crate::backend_tests!(
    big_topics_and_authors_filter_like_small_ones,
    article_counts_follow_every_kind_of_write,
    draft_and_scheduled_articles_are_invisible_on_the_content_api,
    a_scheduled_article_appears_when_its_time_comes,
    filters_select_by_topic_author_and_date,
    every_sort_orders_and_cursor_walks_see_each_article_once,
    ties_in_the_sort_key_do_not_lose_or_repeat_articles,
    count_is_only_given_on_request,
    include_and_fields_shape_the_summaries,
    etags_revalidate_with_304_and_change_with_the_content,
    a_former_slug_redirects_to_the_current_one,
    related_puts_the_curated_list_first_then_shared_topics_then_recency,
    authors_and_topics_show_public_profiles_with_counts,
);
