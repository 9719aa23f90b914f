//! The Content API's read model (cards rendered at write time, in-memory copies of authors,
//! topics and topic heads): every read that embeds something shows its change at once, on
//! another instance too. Reads go through a second instance with no response cache, so that
//! only the read model stands between a write and what is served.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::factories::{draft, editor, publish, published, slugs, topic};
use crate::helpers::{TestApp, json_of};

async fn reader(app: &TestApp) -> TestApp {
    app.second_instance_with(|s| s.cache = false).await
}

async fn get(app: &TestApp, path: &str) -> Value {
    json_of(app.get(path).await, StatusCode::OK).await
}

async fn renamed_authors_and_topics_show_at_once_in_every_read_that_embeds_them(app: TestApp) {
    let other = reader(&app).await;
    let (token, andy) = editor(&app).await;
    let nokia = topic(&app, &token, "Nokia", None).await;
    let extra = json!({"topic_ids": [nokia], "author_ids": [andy]});
    published(&app, &token, "Older", "2024-01-01T00:00:00Z", extra.clone()).await;
    published(&app, &token, "Newer", "2024-01-02T00:00:00Z", extra).await;
    let reads = [
        "/api/v1/articles",
        "/api/v1/articles?topic=nokia",
        "/api/v1/articles?author=andy-boxall",
        "/api/v1/articles/newer",
        "/api/v1/articles/newer/related",
    ];
    for path in reads {
        get(&other, path).await; // warm the reader's copies
    }

    let admin = app.admin_token().await;
    json_of(
        app.patch(
            &format!("/api/v1/admin/authors/{andy}"),
            &admin,
            json!({"name": "Andrew Boxall"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_of(
        app.patch(
            &format!("/api/v1/admin/topics/{nokia}"),
            &admin,
            json!({"name": "Nokia Mobile"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    for path in reads {
        let body = get(&other, path).await.to_string();
        assert!(body.contains("Andrew Boxall"), "{path}: {body}");
        assert!(body.contains("Nokia Mobile"), "{path}: {body}");
        assert!(!body.contains("\"Andy Boxall\""), "{path}: {body}");
    }
    // A new slug filters at once; the old one no longer does.
    json_of(
        app.patch(
            &format!("/api/v1/admin/topics/{nokia}"),
            &admin,
            json!({"slug": "nokia-mobile"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        slugs(&get(&other, "/api/v1/articles?topic=nokia-mobile").await),
        ["newer", "older"]
    );
    assert!(slugs(&get(&other, "/api/v1/articles?topic=nokia").await).is_empty());
}

async fn related_follows_publish_unpublish_topic_changes_and_deletes(app: TestApp) {
    let other = reader(&app).await;
    let (token, _) = editor(&app).await;
    let x = topic(&app, &token, "Xiaomi", None).await;
    let y = topic(&app, &token, "Nokia", None).await;
    let in_x = json!({"topic_ids": [x]});
    published(&app, &token, "Anchor", "2024-01-01T00:00:00Z", in_x.clone()).await;
    let b = published(&app, &token, "Bee", "2024-01-02T00:00:00Z", in_x.clone()).await;
    let c = published(&app, &token, "Sea", "2024-01-03T00:00:00Z", in_x.clone()).await;
    let related = "/api/v1/articles/anchor/related";
    assert_eq!(slugs(&get(&other, related).await), ["sea", "bee"]);

    // A newly published article in the topic comes first.
    let d = draft(&app, &token, "Dee", in_x.clone()).await;
    let d_id = d["id"].as_i64().unwrap();
    publish(&app, &token, d_id, None).await;
    assert_eq!(slugs(&get(&other, related).await), ["dee", "sea", "bee"]);
    let view = get(&other, "/api/v1/articles/anchor").await;
    assert_eq!(
        slugs(&json!({"data": view["data"]["related"]})),
        ["dee", "sea", "bee"]
    );

    // Unpublished: gone.
    json_of(
        app.post(
            &format!("/api/v1/admin/articles/{d_id}/unpublish"),
            &token,
            json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(slugs(&get(&other, related).await), ["sea", "bee"]);

    // Moved to another topic: no longer shares one.
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{}", c["id"]),
            &token,
            json!({"topic_ids": [y]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(slugs(&get(&other, related).await), ["bee"]);

    // Deleted: gone.
    let admin = app.admin_token().await;
    let res = app
        .delete(&format!("/api/v1/admin/articles/{}", b["id"]), &admin)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(slugs(&get(&other, related).await).is_empty());
}

/// A reader instance, an editor's token, and two articles filed under Xiaomi: "Anchor", whose
/// related box the tests read, and "Bee", a day newer.
struct Anchored {
    other: TestApp,
    token: String,
    in_x: Value,
    bee: Value,
}

async fn anchored(app: &TestApp) -> Anchored {
    let other = reader(app).await;
    let (token, _) = editor(app).await;
    let x = topic(app, &token, "Xiaomi", None).await;
    let in_x = json!({"topic_ids": [x]});
    published(app, &token, "Anchor", "2024-01-01T00:00:00Z", in_x.clone()).await;
    let bee = published(app, &token, "Bee", "2024-01-02T00:00:00Z", in_x.clone()).await;
    Anchored {
        other,
        token,
        in_x,
        bee,
    }
}

/// A related box shows its picks as they are now (the topics' newest articles are held with
/// their cards): an edit of a picked article shows at once, on the article's page and at
/// `/related`.
async fn related_picks_show_their_edits_at_once(app: TestApp) {
    let Anchored {
        other,
        token,
        bee: b,
        ..
    } = anchored(&app).await;
    let related = "/api/v1/articles/anchor/related";
    assert_eq!(slugs(&get(&other, related).await), ["bee"]);
    get(&other, "/api/v1/articles/anchor").await;

    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{}", b["id"]),
            &token,
            json!({"title": "Bee, revised", "slug": "bee-revised"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let boxed = get(&other, related).await;
    assert_eq!(slugs(&boxed), ["bee-revised"]);
    assert_eq!(boxed["data"][0]["article"]["title"], "Bee, revised");
    let page = get(&other, "/api/v1/articles/anchor").await;
    assert_eq!(
        page["data"]["related"][0]["article"]["title"],
        "Bee, revised"
    );
}

/// The newest articles' pages, every topic's and a topic's, come from the newest articles held
/// in memory while those cover the page, from the database past them: the pages are the same
/// either way (a date bound sends the same listing to the database), ties by time are broken
/// by id, and a publication shows at once on the first page.
async fn held_newest_pages_match_the_database(app: TestApp) {
    let other = reader(&app).await;
    let (token, _) = editor(&app).await;
    let x = topic(&app, &token, "Xiaomi", None).await;
    let in_x = json!({"topic_ids": [x]});
    // More than the 50 held, two a day.
    for i in 0..56 {
        let at = format!("2024-01-{:02}T00:00:00Z", 1 + i / 2);
        published(&app, &token, &format!("Story {i}"), &at, in_x.clone()).await;
    }
    let walk = |base: &'static str, suffix: &'static str| {
        let other = &other;
        async move {
            let mut pages = Vec::new();
            let mut path = format!("{base}{suffix}");
            loop {
                let page = get(other, &path).await;
                let next = page["meta"]["pagination"]["next_cursor"]
                    .as_str()
                    .map(str::to_owned);
                pages.push(page);
                let Some(next) = next else { break };
                path = format!("{base}&cursor={next}{suffix}");
            }
            pages
        }
    };
    let bound = "&published_before=2100-01-01T00:00:00Z";
    for base in [
        "/api/v1/articles?limit=20",
        "/api/v1/articles?topic=xiaomi&limit=20",
    ] {
        let held = walk(base, "").await;
        assert_eq!(held.len(), 3, "{base}");
        assert_eq!(held, walk(base, bound).await, "{base}");
        assert_eq!(slugs(&held[0])[0], "story-55", "{base}");
        assert_eq!(slugs(&held[2]).last().map(String::as_str), Some("story-0"));
        // A page longer than the 50 held comes whole from the database.
        let long = base.replace("limit=20", "limit=100");
        let page = get(&other, &long).await;
        assert_eq!(slugs(&page).len(), 56, "{long}");
        assert_eq!(page, get(&other, &format!("{long}{bound}")).await, "{long}");
    }

    let d = draft(&app, &token, "Breaking", in_x).await;
    publish(&app, &token, d["id"].as_i64().unwrap(), None).await;
    for path in [
        "/api/v1/articles?limit=20",
        "/api/v1/articles?topic=xiaomi&limit=20",
    ] {
        let first = get(&other, path).await;
        assert_eq!(slugs(&first)[..2], ["breaking", "story-55"], "{path}");
    }
}

/// A scheduled article joins its topic's related picks when its time comes, with no write:
/// the reader's copy of the topic's newest articles lasts only until then. So do its newest
/// pages, every topic's and the topic's, served from those copies.
async fn related_picks_up_a_scheduled_article_when_its_time_comes(app: TestApp) {
    let Anchored {
        other, token, in_x, ..
    } = anchored(&app).await;
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let c = draft(&app, &token, "Later", in_x).await;
    publish(&app, &token, c["id"].as_i64().unwrap(), Some(&soon)).await;
    let related = "/api/v1/articles/anchor/related";
    let newest = ["/api/v1/articles", "/api/v1/articles?topic=xiaomi"];
    assert_eq!(slugs(&get(&other, related).await), ["bee"]);
    for path in newest {
        assert_eq!(slugs(&get(&other, path).await), ["bee", "anchor"], "{path}");
    }
    other.state.clock.advance(chrono::Duration::hours(2));
    assert_eq!(slugs(&get(&other, related).await), ["later", "bee"]);
    for path in newest {
        let now = slugs(&get(&other, path).await);
        assert_eq!(now, ["later", "bee", "anchor"], "{path}");
    }
}

async fn curated_list_edits_show_at_once_in_related(app: TestApp) {
    let other = reader(&app).await;
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
    let list = json_of(res, StatusCode::CREATED).await["data"]["id"]
        .as_i64()
        .unwrap();
    published(
        &app,
        &token,
        "Host",
        "2024-01-03T00:00:00Z",
        json!({"related_list_id": list}),
    )
    .await;
    assert_eq!(
        slugs(&get(&other, "/api/v1/articles/host/related").await),
        ["pick-a"]
    );

    let res = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/lists/{list}/items"),
            Some(&token),
            Some(json!({"items": [{"article_id": b["id"]}, {"url": "https://videos.example.com/x", "title": "Watch", "kind": "video"}], "version": 1})),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let related = get(&other, "/api/v1/articles/host/related").await;
    assert_eq!(slugs(&related), ["pick-b", ""]);
    assert_eq!(related["data"][1]["type"], "external");
    assert_eq!(related["data"][1]["source"], "curated");
}

/// The stored cards are derived data: a database whose cards are missing (or rendered by an
/// older format) and not recorded as complete — as a bulk load or an older release leaves it —
/// gets them at start-up, and reads are the same as before.
async fn start_up_renders_missing_and_outdated_cards(app: TestApp) {
    let (token, andy) = editor(&app).await;
    let nokia = topic(&app, &token, "Nokia", None).await;
    let extra = json!({"topic_ids": [nokia], "author_ids": [andy]});
    published(&app, &token, "One", "2024-01-01T00:00:00Z", extra.clone()).await;
    published(&app, &token, "Two", "2024-01-02T00:00:00Z", extra).await;
    let before = (
        get(&app, "/api/v1/articles").await,
        get(&app, "/api/v1/articles/two").await,
    );
    {
        use diesel::prelude::*;
        use headline::db::schema::article_cards;
        let mut conn = app.state.db.get().unwrap();
        let conn: &mut headline::db::AnyConnection = &mut conn;
        // One card gone, the other from an older format with a wrong body.
        diesel::delete(article_cards::table.filter(article_cards::slug.eq("one")))
            .execute(conn)
            .unwrap();
        diesel::update(article_cards::table)
            .set((
                article_cards::format.eq(0),
                article_cards::card.eq("{\"stale\":true"),
            ))
            .execute(conn)
            .unwrap();
        // And no leads, as in a database from before they were stored.
        diesel::delete(headline::db::schema::article_leads::table)
            .execute(conn)
            .unwrap();
        headline::models::cards::cards_incomplete(conn).unwrap();
    }
    let restarted = reader(&app).await;
    let after = (
        get(&restarted, "/api/v1/articles").await,
        get(&restarted, "/api/v1/articles/two").await,
    );
    assert_eq!(before, after);
    let leads: Vec<String> = {
        use diesel::prelude::*;
        use headline::db::schema::article_leads;
        let mut conn = app.state.db.get().unwrap();
        let conn: &mut headline::db::AnyConnection = &mut conn;
        article_leads::table
            .order(article_leads::article_id)
            .select(article_leads::lead)
            .load(conn)
            .unwrap()
    };
    assert_eq!(leads, ["Body of One.", "Body of Two."]);
}

async fn title_cursors_round_trip_titles_with_newlines(app: TestApp) {
    let (token, _) = editor(&app).await;
    for title in ["Alpha\nsecond line", "Alpha\nsecond line too", "Beta"] {
        published(&app, &token, title, "2024-01-01T00:00:00Z", json!({})).await;
    }
    let first = get(&app, "/api/v1/articles?sort=title&limit=1").await;
    let mut titles = vec![first["data"][0]["title"].as_str().unwrap().to_owned()];
    let mut cursor = first["meta"]["pagination"]["next_cursor"].clone();
    while let Some(c) = cursor.as_str() {
        let page = get(
            &app,
            &format!("/api/v1/articles?sort=title&limit=1&cursor={c}"),
        )
        .await;
        titles.push(page["data"][0]["title"].as_str().unwrap().to_owned());
        cursor = page["meta"]["pagination"]["next_cursor"].clone();
    }
    assert_eq!(
        titles,
        ["Alpha\nsecond line", "Alpha\nsecond line too", "Beta"]
    );
}

async fn a_former_slug_of_related_redirects_with_its_query(app: TestApp) {
    let (token, _) = editor(&app).await;
    let a = published(&app, &token, "Before", "2024-01-01T00:00:00Z", json!({})).await;
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{}", a["id"]),
            &token,
            json!({"slug": "after"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let res = app.get("/api/v1/articles/before/related?limit=3").await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        res.headers()["location"],
        "/api/v1/articles/after/related?limit=3"
    );
}

/// Searches, listings past the held newest articles and curated lists read their cards and
/// leads at the request's content generation: an edit shows at once in their titles and
/// snippets, and an unpublished article leaves them, even while the reader's search index has
/// not yet caught up, although the reader holds what searches and listings showed
/// (`held_cards`).
async fn searched_cards_and_leads_show_edits_at_once(app: TestApp) {
    let other = reader(&app).await;
    let (token, _) = editor(&app).await;
    let extra = json!({"body_markdown": "The zephyr handset ships in March."});
    let a = published(&app, &token, "Alpha", "2024-01-01T00:00:00Z", extra).await;
    let list = json!({"title": "Picks", "items": [{"article_id": a["id"]}]});
    json_of(
        app.post("/api/v1/admin/lists", &token, list).await,
        StatusCode::CREATED,
    )
    .await;
    crate::search::count_reaches(&other, "zephyr", 1).await;
    let reads = [
        "/api/v1/articles?q=zephyr",
        "/api/v1/articles?sort=title",
        "/api/v1/lists/picks",
    ];
    let title = |body: &Value| {
        let item = &body["data"]["items"][0]["article"];
        let item = if item.is_null() {
            &body["data"][0]
        } else {
            item
        };
        item["title"].as_str().unwrap_or_default().to_owned()
    };
    for path in reads {
        assert_eq!(title(&get(&other, path).await), "Alpha", "{path}");
    }
    let found = get(&other, "/api/v1/articles?q=zephyr").await;
    assert!(
        found["data"][0]["snippet"]
            .as_str()
            .is_some_and(|s| s.contains("handset"))
    );

    // The searched word stays, so the reader's index finds the article either way.
    let edit =
        json!({"title": "Alpha, revised", "body_markdown": "The zephyr tablet ships in May."});
    let path = format!("/api/v1/admin/articles/{}", a["id"]);
    json_of(app.patch(&path, &token, edit).await, StatusCode::OK).await;
    for path in reads {
        assert_eq!(title(&get(&other, path).await), "Alpha, revised", "{path}");
    }
    let snippet = get(&other, "/api/v1/articles?q=zephyr").await["data"][0]["snippet"].clone();
    let snippet = snippet.as_str().unwrap_or_default();
    assert!(
        snippet.contains("tablet") && !snippet.contains("handset"),
        "{snippet}"
    );

    let res = app
        .post(&format!("{path}/unpublish"), &token, json!({}))
        .await;
    json_of(res, StatusCode::OK).await;
    for path in reads {
        assert_eq!(title(&get(&other, path).await), "", "{path}");
    }
}

crate::backend_tests!(
    renamed_authors_and_topics_show_at_once_in_every_read_that_embeds_them,
    related_follows_publish_unpublish_topic_changes_and_deletes,
    related_picks_up_a_scheduled_article_when_its_time_comes,
    related_picks_show_their_edits_at_once,
    held_newest_pages_match_the_database,
    curated_list_edits_show_at_once_in_related,
    start_up_renders_missing_and_outdated_cards,
    title_cursors_round_trip_titles_with_newlines,
    a_former_slug_of_related_redirects_with_its_query,
    searched_cards_and_leads_show_edits_at_once,
);
