//! Full-text search behaves the same on both backends: ranking, filters, cursors, and an index
//! that follows every write.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::factories::{draft, editor, published, slugs, topic};
use crate::helpers::{TestApp, json_of, problem};

async fn get_json(app: &TestApp, path: &str) -> Value {
    json_of(app.get(path).await, StatusCode::OK).await
}

async fn title_matches_rank_above_excerpt_matches_above_body_matches(app: TestApp) {
    let (token, _) = editor(&app).await;
    let at = "2024-01-01T00:00:00Z";
    published(&app, &token, "Body mention", at, json!({"excerpt": "A piece about networks.", "body_markdown": "A long piece that mentions the Nokia patents once, among many other words about phones and networks."})).await;
    published(
        &app,
        &token,
        "Nokia signs a patent deal",
        "2023-01-01T00:00:00Z",
        json!({}),
    )
    .await;
    published(
        &app,
        &token,
        "Excerpt mention",
        at,
        json!({"excerpt": "What Nokia wants next.", "body_markdown": "Nothing to see here."}),
    )
    .await;
    published(
        &app,
        &token,
        "Unrelated",
        at,
        json!({"body_markdown": "Xiaomi only."}),
    )
    .await;

    let found = get_json(&app, "/api/v1/articles?q=nokia").await;
    assert_eq!(
        slugs(&found),
        [
            "nokia-signs-a-patent-deal",
            "excerpt-mention",
            "body-mention"
        ]
    );
    // Every word must match, in any form of the word (stemming).
    let found = get_json(&app, "/api/v1/articles?q=Nokia%27s+PATENTS").await;
    assert_eq!(slugs(&found), ["nokia-signs-a-patent-deal", "body-mention"]);
    let none = get_json(&app, "/api/v1/articles?q=nokia+huawei").await;
    assert_eq!(slugs(&none), Vec::<String>::new());
    // Another sort orders the matches by it.
    let newest = get_json(&app, "/api/v1/articles?q=nokia&sort=-published_at").await;
    assert_eq!(slugs(&newest)[2], "nokia-signs-a-patent-deal");
    // Operators of the search engines are plain words here, never syntax errors.
    for q in [
        "nokia%20OR",
        "%22nokia",
        "nokia*",
        "NEAR(nokia)",
        "-nokia",
        "nokia%20%26%20!",
    ] {
        json_of(
            app.get(&format!("/api/v1/articles?q={q}")).await,
            StatusCode::OK,
        )
        .await;
    }
}

async fn search_combines_with_filters_and_cursor_walks(app: TestApp) {
    let (token, _) = editor(&app).await;
    let phones = topic(&app, &token, "Phones", None).await;
    for i in 0..7 {
        let topics = if i % 2 == 0 { vec![phones] } else { vec![] };
        let body = format!("Xiaomi {}", "launch ".repeat(i + 1));
        published(
            &app,
            &token,
            &format!("Story {i}"),
            &format!("2024-01-0{}T00:00:00Z", i + 1),
            json!({"body_markdown": body, "topic_ids": topics}),
        )
        .await;
    }
    draft(&app, &token, "Xiaomi draft", json!({})).await;

    let all = get_json(&app, "/api/v1/articles?q=xiaomi&count=true").await;
    assert_eq!(
        all["meta"]["pagination"]["total"], 7,
        "drafts are never found"
    );
    let filtered = get_json(&app, "/api/v1/articles?q=xiaomi&topic=phones&count=true").await;
    assert_eq!(filtered["meta"]["pagination"]["total"], 4);
    let window = get_json(
        &app,
        "/api/v1/articles?q=launches&published_before=2024-01-03T00:00:00Z",
    )
    .await;
    assert_eq!(slugs(&window), ["story-1", "story-0"]);

    // Walk the ranked results two at a time: every match once, in the order of one full page.
    let full = slugs(&get_json(&app, "/api/v1/articles?q=xiaomi+launch&limit=100").await);
    let mut walked = Vec::new();
    let mut url = "/api/v1/articles?q=xiaomi+launch&limit=2".to_owned();
    loop {
        let page = get_json(&app, &url).await;
        walked.extend(slugs(&page));
        match page["meta"]["pagination"]["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/articles?q=xiaomi+launch&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(walked.len(), 7);
    assert_eq!(walked, full);
    // The admin search sees drafts too.
    let admin = json_of(
        app.get_auth("/api/v1/admin/articles?q=xiaomi&count=true", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admin["meta"]["pagination"]["total"], 8);
}

async fn the_index_follows_every_write(app: TestApp) {
    let (token, _) = editor(&app).await;
    let a = published(
        &app,
        &token,
        "Leica cameras",
        "2024-01-01T00:00:00Z",
        json!({}),
    )
    .await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/articles?q=leica").await),
        ["leica-cameras"]
    );
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"title": "Zeiss lenses", "body_markdown": "Optics."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/articles?q=leica").await),
        Vec::<String>::new()
    );
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/articles?q=zeiss").await),
        ["leica-cameras"]
    );
    assert_eq!(
        app.delete(&format!("/api/v1/admin/articles/{id}"), &token)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        slugs(&get_json(&app, "/api/v1/articles?q=zeiss").await),
        Vec::<String>::new()
    );
}

async fn bad_searches_are_a_400(app: TestApp) {
    for path in ["/api/v1/articles?q=x&sort=popularity"] {
        problem(app.get(path).await, StatusCode::BAD_REQUEST).await;
    }
    let long = "a".repeat(201);
    problem(
        app.get(&format!("/api/v1/articles?q={long}")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A relevance cursor is bound to relevance.
    let (token, _) = editor(&app).await;
    published(&app, &token, "One nokia", "2024-01-01T00:00:00Z", json!({})).await;
    published(&app, &token, "Two nokia", "2024-01-02T00:00:00Z", json!({})).await;
    let page = get_json(&app, "/api/v1/articles?q=nokia&limit=1").await;
    let cursor = page["meta"]["pagination"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(
        app.get(&format!(
            "/api/v1/articles?q=nokia&sort=title&cursor={cursor}"
        ))
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

/// A search with no words to look for is no error: it finds nothing, on both APIs. Without
/// `q`, `sort=relevance` is the listing's own order.
async fn a_search_with_no_words_finds_nothing(app: TestApp) {
    let (token, _) = editor(&app).await;
    published(
        &app,
        &token,
        "Nokia returns",
        "2024-01-01T00:00:00Z",
        json!({}),
    )
    .await;
    for path in [
        "/api/v1/articles?q=",
        "/api/v1/articles?q=%2A%2A%2A&count=true",
        "/api/v1/articles?q=the%20of",
    ] {
        let page = get_json(&app, path).await;
        assert_eq!(page["data"], json!([]), "{path}");
        assert_eq!(
            page["meta"]["pagination"]["next_cursor"],
            Value::Null,
            "{path}"
        );
    }
    let counted = get_json(&app, "/api/v1/articles?q=%21%3F&count=true").await;
    assert_eq!(counted["meta"]["pagination"]["total"], 0);
    let admin = json_of(
        app.get_auth("/api/v1/admin/articles?q=%21", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admin["data"], json!([]));

    let by_relevance = get_json(&app, "/api/v1/articles?sort=relevance").await;
    assert_eq!(
        slugs(&by_relevance),
        slugs(&get_json(&app, "/api/v1/articles").await)
    );
    assert_eq!(slugs(&by_relevance), ["nokia-returns"]);
}

/// Walks every page of `path` (100 a page) and returns the ids in order.
async fn walk_ids(app: &TestApp, path: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&limit=100&cursor={c}"),
            None => format!("{path}&limit=100"),
        };
        let page = get_json(app, &url).await;
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_i64().unwrap()),
        );
        match page["meta"]["pagination"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return ids,
        }
    }
}

/// In an archive of thousands, a common word within a small topic: relevance gathers its
/// candidates across many chunks of matches and ranks every one of them (there are fewer
/// than the candidate limit), so it finds the same articles as the listing by date.
async fn relevance_finds_sparse_matches_in_a_large_archive(app: TestApp) {
    let db = app.state.db.clone();
    actix_web::web::block(move || {
        headline::synthetic::generate(
            &db,
            headline::synthetic::Plan {
                articles: 6_000,
                seed: 7,
                topics: 60,
                authors: 30,
            },
        )
    })
    .await
    .unwrap()
    .unwrap();
    let topics = get_json(&app, "/api/v1/topics?limit=100").await;
    let small = topics["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| (20..200).contains(&t["article_count"].as_i64().unwrap()))
        .map(|t| t["slug"].as_str().unwrap().to_owned())
        .next()
        .expect("a small topic");
    let authors = get_json(&app, "/api/v1/authors?limit=1").await;
    let author = authors["data"][0]["slug"].as_str().unwrap().to_owned();
    for base in [
        format!("/api/v1/articles?q=camera&topic={small}"),
        format!("/api/v1/articles?q=camera&author={author}"),
    ] {
        let mut by_date = walk_ids(&app, &format!("{base}&sort=-published_at")).await;
        let mut by_relevance = walk_ids(&app, &format!("{base}&sort=relevance")).await;
        assert!(by_date.len() >= 10, "{base}: {} matches", by_date.len());
        by_date.sort_unstable();
        by_relevance.sort_unstable();
        assert_eq!(by_relevance, by_date, "{base}");
    }
}

crate::backend_tests!(
    relevance_finds_sparse_matches_in_a_large_archive,
    title_matches_rank_above_excerpt_matches_above_body_matches,
    search_combines_with_filters_and_cursor_walks,
    the_index_follows_every_write,
    bad_searches_are_a_400,
    a_search_with_no_words_finds_nothing,
);
