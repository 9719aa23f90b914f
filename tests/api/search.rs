//! Full-text search behaves the same on both backends: ranking, filters, cursors, and an index
//! that follows every write.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::factories::{draft, editor, published, slugs, topic};
use crate::helpers::{TestApp, json_of, problem};

/// Fills `app`'s database with a synthetic archive, as `headline seed --synthetic` does.
async fn synthetic(app: &TestApp, plan: headline::synthetic::Plan) {
    let db = app.state.db.clone();
    actix_web::web::block(move || headline::synthetic::generate(&db, plan))
        .await
        .unwrap()
        .unwrap();
}

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
    // A snippet comes from the body's lead, else from the excerpt.
    assert_eq!(
        found["data"][1]["snippet"],
        "What <mark>Nokia</mark> wants next."
    );
    let body = found["data"][2]["snippet"].as_str().unwrap_or_default();
    assert!(body.contains("the <mark>Nokia</mark> patents"), "{body}");
    // Every word must match, in any form of the word (stemming).
    let found = get_json(&app, "/api/v1/articles?q=Nokia%27s+PATENTS").await;
    assert_eq!(slugs(&found), ["nokia-signs-a-patent-deal", "body-mention"]);
    let none = get_json(&app, "/api/v1/articles?q=nokia+huawei").await;
    assert_eq!(slugs(&none), Vec::<String>::new());
    // Another sort orders the matches by it.
    let newest = get_json(&app, "/api/v1/articles?q=nokia&sort=-published_at").await;
    assert_eq!(slugs(&newest)[2], "nokia-signs-a-patent-deal");
    // Other engines' operators are plain words here, never syntax errors.
    for q in [
        "nokia%20OR",
        "nokia*",
        "NEAR(nokia)",
        "nokia%20%26%20!",
        "title:nokia",
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
    for path in [
        "/api/v1/articles?q=x&sort=popularity",
        "/api/v1/articles?facets=topic",
        "/api/v1/articles?q=x&facets=author",
    ] {
        problem(app.get(path).await, StatusCode::BAD_REQUEST).await;
    }
    // Malformed syntax says what is wrong, on both APIs.
    let (token, _) = editor(&app).await;
    for (q, says) in [
        ("%22global%20launch", "quote"),
        ("nokia%20-", "`-`"),
        ("-nokia%20-%22xiaomi%20phones%22", "exclusions alone"),
    ] {
        for res in [
            app.get(&format!("/api/v1/articles?q={q}")).await,
            app.get_auth(&format!("/api/v1/admin/articles?q={q}"), &token)
                .await,
        ] {
            let body = problem(res, StatusCode::BAD_REQUEST).await;
            assert_eq!(body["code"], "invalid_query", "{q}");
            assert!(
                body["detail"].as_str().unwrap().contains(says),
                "{q}: {body}"
            );
        }
    }
    let long = "a".repeat(201);
    problem(
        app.get(&format!("/api/v1/articles?q={long}")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // A relevance cursor is bound to relevance.
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
    walk_ids_by(app, path, 100, None).await
}

/// Walks every page of `path`, `limit` a page (as `token`'s holder, if any), and returns the
/// ids in order.
async fn walk_ids_by(app: &TestApp, path: &str, limit: usize, token: Option<&str>) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&limit={limit}&cursor={c}"),
            None => format!("{path}&limit={limit}"),
        };
        let page = match token {
            Some(token) => json_of(app.get_auth(&url, token).await, StatusCode::OK).await,
            None => get_json(app, &url).await,
        };
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
    synthetic(
        &app,
        headline::synthetic::Plan {
            articles: 6_000,
            seed: 7,
            topics: 60,
            authors: 30,
        },
    )
    .await;
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

/// The first page of the ids of `path` (its `next_cursor` too), with a count or without.
async fn first_pages(app: &TestApp, path: &str) -> [(Vec<i64>, Value); 2] {
    let mut out = Vec::new();
    for count in ["", "&count=true"] {
        let page = get_json(app, &format!("{path}&limit=10{count}")).await;
        let ids = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        out.push((ids, page["meta"]["pagination"]["next_cursor"].clone()));
    }
    [out.remove(0), out.remove(0)]
}

/// A relevance page skips the articles that cannot reach it; it is the page that scoring every
/// match gives (a count scores every match), with the same cursor, and walking it finds every
/// match.
async fn relevance_pages_skip_only_what_cannot_reach_them(app: TestApp) {
    synthetic(
        &app,
        headline::synthetic::Plan {
            // Over two windows of 4,096 (`src/search/window.rs`): lists a window looks up
            // most are summed in the next one, and the pages must not change.
            articles: 10_000,
            seed: 5,
            topics: 30,
            authors: 20,
        },
    )
    .await;
    let titles = get_json(&app, "/api/v1/articles?limit=40&fields=title").await;
    let words: Vec<String> = titles["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .split(' ')
                .map(str::to_lowercase)
        })
        .filter(|w| w.len() > 3)
        .collect();
    let topics = get_json(&app, "/api/v1/topics?limit=1").await;
    let topic = topics["data"][0]["slug"].as_str().unwrap().to_owned();
    let mut queries = Vec::new();
    for (i, w) in words.iter().enumerate().take(24).step_by(3) {
        let (a, b) = (&words[i + 1], &words[i + 2]);
        queries.push(format!("q={w}"));
        queries.push(format!("q={w}+{a}+"));
        queries.push(format!("q={w}+{}", &a[..3]));
        queries.push(format!("q={w}+{a}+{b}"));
        queries.push(format!("q={w}+-{a}"));
        queries.push(format!("q={w}&topic={topic}"));
        // Dates narrow the run of the index a relevance page walks.
        queries.push(format!(
            "q={w}+{a}&published_after=2019-06-01T00:00:00Z&published_before=2023-06-01T00:00:00Z"
        ));
    }
    let mut pruned_pages = 0;
    for query in &queries {
        let path = format!("/api/v1/articles?{query}&fields=id");
        let [pruned, counted] = first_pages(&app, &path).await;
        assert_eq!(pruned, counted, "{query}");
        if let Some(cursor) = pruned.1.as_str() {
            pruned_pages += 1;
            let next = first_pages(&app, &format!("{path}&cursor={cursor}")).await;
            assert_eq!(next[0], next[1], "{query}, page 2");
        }
        let mut walked = walk_ids(&app, &path).await;
        let mut by_date = walk_ids(&app, &format!("{path}&sort=-published_at")).await;
        walked.sort_unstable();
        by_date.sort_unstable();
        assert_eq!(walked, by_date, "{query}");
    }
    assert!(
        pruned_pages >= 10,
        "{pruned_pages} queries had a second page"
    );
    // Staff see drafts and scheduled stories (the ends of that run), and search them alone.
    let (token, _) = editor(&app).await;
    for status in ["", "&status=scheduled", "&status=draft"] {
        let mut seen = 0;
        for w in words.iter().take(6) {
            let path = format!("/api/v1/admin/articles?q={w}{status}");
            let mut walked = walk_ids_by(&app, &path, 100, Some(&token)).await;
            let by_date = format!("{path}&sort=-updated_at");
            let mut listed = walk_ids_by(&app, &by_date, 100, Some(&token)).await;
            walked.sort_unstable();
            listed.sort_unstable();
            assert_eq!(walked, listed, "{path}");
            seen += walked.len();
        }
        assert!(seen > 0, "no match{status}");
    }
}

/// Phrases keep words together and in order, `-` leaves out, the last word is a prefix unless
/// a space follows, diacritics are folded.
async fn phrases_exclusions_prefixes_and_diacritics(app: TestApp) {
    let (token, _) = editor(&app).await;
    let at = "2024-01-01T00:00:00Z";
    for title in [
        "Global launch plans stall",
        "A launch that went global",
        "Nokia global launch",
        "Café culture at Xiaomi",
    ] {
        published(&app, &token, title, at, json!({})).await;
    }
    let found = |q: &'static str| {
        let app = &app;
        async move {
            let mut s = slugs(&get_json(app, &format!("/api/v1/articles?q={q}")).await);
            s.sort();
            s
        }
    };
    assert_eq!(
        found("%22global%20launch%22").await,
        ["global-launch-plans-stall", "nokia-global-launch"]
    );
    assert_eq!(
        found("global%20launch%20-nokia").await,
        ["a-launch-that-went-global", "global-launch-plans-stall"]
    );
    assert_eq!(
        found("launch%20-%22nokia%20global%22").await,
        ["a-launch-that-went-global", "global-launch-plans-stall"]
    );
    // Search as you type: "glo" is a prefix; with a space after it, a word of its own.
    assert_eq!(found("nokia%20glo").await, ["nokia-global-launch"]);
    assert_eq!(found("nokia%20glo%20").await, Vec::<String>::new());
    assert_eq!(found("cafe").await, ["cafe-culture-at-xiaomi"]);
    assert_eq!(found("CAFÉS").await, ["cafe-culture-at-xiaomi"]);
}

/// Of two equal matches the recent story ranks first; an exact title beats recency.
async fn recent_stories_win_ties_and_exact_titles_win(app: TestApp) {
    let (token, _) = editor(&app).await;
    let same = json!({"body_markdown": "A review of the phone."});
    published(
        &app,
        &token,
        "Xiaomi phone review",
        "2019-05-01T00:00:00Z",
        same.clone(),
    )
    .await;
    let recent = published(
        &app,
        &token,
        "Xiaomi phone reviewed",
        "2026-11-01T00:00:00Z",
        same,
    )
    .await;
    let page = get_json(&app, "/api/v1/articles?q=xiaomi%20phone%20review").await;
    assert_eq!(slugs(&page)[0], recent["slug"].as_str().unwrap());

    published(
        &app,
        &token,
        "Nokia stalled launch plans",
        "2018-01-01T00:00:00Z",
        json!({}),
    )
    .await;
    for i in 0..5 {
        published(
            &app,
            &token,
            &format!("Weekly roundup {i}"),
            "2026-11-20T00:00:00Z",
            json!({"body_markdown": "Nokia plans: a stalled launch, and other news of the week."}),
        )
        .await;
    }
    let page = get_json(&app, "/api/v1/articles?q=nokia%20stalled%20launch%20plans").await;
    assert_eq!(slugs(&page)[0], "nokia-stalled-launch-plans");
    assert_eq!(slugs(&page).len(), 6);
}

/// Each hit carries the passage where its words are, marked, and the rest escaped.
async fn snippets_mark_the_words_found(app: TestApp) {
    let (token, _) = editor(&app).await;
    let body = "Opening words. Xiaomi <b>says</b> the launch is near, and fans wait.";
    let a = published(
        &app,
        &token,
        "A story",
        "2024-01-01T00:00:00Z",
        json!({"body_markdown": body, "excerpt": "Nothing here."}),
    )
    .await;
    let page = get_json(&app, "/api/v1/articles?q=launched").await;
    let snippet = page["data"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<mark>launch</mark>"), "{snippet}");
    assert!(!snippet.contains("<b>"), "{snippet}");
    // Asked for by name in a sparse fieldset, left out otherwise; admin items have it too.
    let sparse = get_json(&app, "/api/v1/articles?q=launch&fields=id,snippet").await;
    assert!(sparse["data"][0]["snippet"].is_string());
    assert_eq!(sparse["data"][0].as_object().unwrap().len(), 2);
    let sparse = get_json(&app, "/api/v1/articles?q=launch&fields=id").await;
    assert!(sparse["data"][0].get("snippet").is_none());
    let admin = json_of(
        app.get_auth("/api/v1/admin/articles?q=launch", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        admin["data"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    // Listings without a search have none.
    assert!(
        get_json(&app, "/api/v1/articles").await["data"][0]
            .get("snippet")
            .is_none()
    );
    // An edit's body is where the next search's snippet comes from, as text, not Markdown.
    let id = a["id"].as_i64().unwrap();
    let body = json!({"body_markdown": "## Later\n\nNow Xiaomi **ships** it, [says](https://x.test) Lei."});
    json_of(
        app.patch(&format!("/api/v1/admin/articles/{id}"), &token, body)
            .await,
        StatusCode::OK,
    )
    .await;
    let page = get_json(&app, "/api/v1/articles?q=ships").await;
    assert_eq!(
        page["data"][0]["snippet"],
        "Later Now Xiaomi <mark>ships</mark> it, says Lei."
    );
}

/// `facets=topic` counts the matches under each topic, with every filter applied.
async fn facets_count_matches_by_topic(app: TestApp) {
    let (token, _) = editor(&app).await;
    let phones = topic(&app, &token, "Phones", None).await;
    let tablets = topic(&app, &token, "Tablets", None).await;
    for (i, topics) in [vec![phones], vec![phones, tablets], vec![tablets], vec![]]
        .into_iter()
        .enumerate()
    {
        published(
            &app,
            &token,
            &format!("Xiaomi news {i}"),
            "2024-01-01T00:00:00Z",
            json!({"topic_ids": topics}),
        )
        .await;
    }
    published(
        &app,
        &token,
        "Nokia news",
        "2024-01-01T00:00:00Z",
        json!({"topic_ids": [phones]}),
    )
    .await;
    let page = get_json(&app, "/api/v1/articles?q=xiaomi&facets=topic&limit=1").await;
    let facets: Vec<(String, i64)> = page["meta"]["facets"]["topic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["slug"].as_str().unwrap().to_owned(),
                f["count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        facets,
        [("phones".to_owned(), 2), ("tablets".to_owned(), 2)]
    );
    let page = get_json(&app, "/api/v1/articles?q=xiaomi&facets=topic&topic=tablets").await;
    assert_eq!(page["meta"]["facets"]["topic"][0]["count"], 2);
    assert_eq!(page["meta"]["facets"]["topic"][1]["slug"], "phones");
    assert_eq!(page["meta"]["facets"]["topic"][1]["count"], 1);
    let admin = json_of(
        app.get_auth("/api/v1/admin/articles?q=news&facets=topic", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(admin["meta"]["facets"]["topic"][0]["slug"], "phones");
    assert_eq!(admin["meta"]["facets"]["topic"][0]["count"], 3);
}

/// Every sort pages through a search with cursors, each match once.
async fn every_sort_walks_a_search(app: TestApp) {
    let (token, _) = editor(&app).await;
    for i in 0..9 {
        // Titles repeat, times repeat: ties are broken by id.
        published(
            &app,
            &token,
            &format!("Xiaomi story {}", i % 3),
            &format!("2024-01-0{}T00:00:00Z", 1 + i % 4),
            json!({}),
        )
        .await;
    }
    for sort in [
        "relevance",
        "-published_at",
        "published_at",
        "-updated_at",
        "title",
    ] {
        let base = format!("/api/v1/articles?q=xiaomi&sort={sort}");
        let full = walk_ids(&app, &base).await;
        let walked = walk_ids_by(&app, &base, 2, None).await;
        assert_eq!(walked, full, "{sort}");
        assert_eq!(walked.len(), 9, "{sort}");
    }
    let titles: Vec<String> = get_json(&app, "/api/v1/articles?q=xiaomi&sort=title&limit=100")
        .await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
}

/// The whole archive is searched: among 50,000 articles that share a word, the oldest is
/// found by that word with a more specific one, and ranked first for its exact title.
async fn the_oldest_of_fifty_thousand_matches_is_found(app: TestApp) {
    let (token, _) = editor(&app).await;
    let oldest = published(
        &app,
        &token,
        "Xiaomi stalled global launch plans",
        "2001-01-01T00:00:00Z",
        json!({"body_markdown": "The phone maker's plans, as the phone market turned."}),
    )
    .await;
    synthetic(
        &app,
        headline::synthetic::Plan {
            articles: 50_000,
            seed: 11,
            topics: 40,
            authors: 20,
        },
    )
    .await;
    let common = get_json(&app, "/api/v1/articles?q=phone&count=true&limit=1").await;
    let matches = common["meta"]["pagination"]["total"].as_i64().unwrap();
    assert!(matches > 10_000, "phone: {matches} matches");
    let first = |page: &Value| page["data"][0]["id"].clone();
    let specific = get_json(&app, "/api/v1/articles?q=phone%20stalled").await;
    assert_eq!(first(&specific), oldest["id"]);
    let exact = get_json(
        &app,
        "/api/v1/articles?q=xiaomi%20stalled%20global%20launch%20plans",
    )
    .await;
    assert_eq!(first(&exact), oldest["id"]);
}

/// The count of a public search, once it reaches `want` (an index following another
/// instance's writes catches up within its poll); panics after ten seconds.
pub async fn count_reaches(app: &TestApp, q: &str, want: i64) {
    let mut last = Value::Null;
    for _ in 0..100 {
        let page = get_json(app, &format!("/api/v1/articles?q={q}&count=true")).await;
        last = page["meta"]["pagination"]["total"].clone();
        if last == want {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{q}: {last} matches, not {want}");
}

/// Two instances on one database (on PostgreSQL each with its own index): each finds what the
/// other wrote, both following the one change log.
async fn each_instance_finds_what_the_other_wrote(app: TestApp) {
    let (token, _) = editor(&app).await;
    let other = app.second_instance().await;
    let at = "2024-01-01T00:00:00Z";
    published(&app, &token, "Xiaomi, written on the first", at, json!({})).await;
    count_reaches(&other, "xiaomi", 1).await;
    published(
        &other,
        &token,
        "Xiaomi, written on the second",
        at,
        json!({}),
    )
    .await;
    count_reaches(&app, "xiaomi", 2).await;
    count_reaches(&other, "xiaomi", 2).await;
}

crate::backend_tests!(
    relevance_finds_sparse_matches_in_a_large_archive,
    relevance_pages_skip_only_what_cannot_reach_them,
    title_matches_rank_above_excerpt_matches_above_body_matches,
    search_combines_with_filters_and_cursor_walks,
    the_index_follows_every_write,
    bad_searches_are_a_400,
    a_search_with_no_words_finds_nothing,
    phrases_exclusions_prefixes_and_diacritics,
    recent_stories_win_ties_and_exact_titles_win,
    snippets_mark_the_words_found,
    facets_count_matches_by_topic,
    every_sort_walks_a_search,
    the_oldest_of_fifty_thousand_matches_is_found,
    each_instance_finds_what_the_other_wrote,
);
