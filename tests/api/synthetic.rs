//! The synthetic newsroom of the benchmark: deterministic for a seed, shaped like an archive,
//! and served by the API like any other content.

use std::time::Duration;

use diesel::prelude::*;
use headline::db::schema::{article_topics, articles};
use headline::synthetic::{Plan, generate};
use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, fresh_database, json_of};

fn small(seed: u64) -> Plan {
    Plan {
        articles: 300,
        seed,
        topics: 40,
        authors: 25,
    }
}

/// (title of every article in id order, per-status counts) of a generated database.
fn shape(url: &str, plan: Plan) -> (Vec<String>, Vec<(String, i64)>) {
    let db = headline::db::Db::connect(url, 1, Duration::from_secs(10)).expect("connect");
    headline::db::migrations::run_pending(&mut db.get().expect("conn")).expect("migrate");
    let report = generate(&db, plan).expect("generate");
    assert_eq!(report.articles, plan.articles);
    let mut conn = db.get().expect("conn");
    let titles = articles::table
        .order(articles::id)
        .select(articles::title)
        .load(&mut **conn)
        .expect("titles");
    let statuses = articles::table
        .group_by(articles::status)
        .select((articles::status, diesel::dsl::count_star()))
        .order(articles::status)
        .load(&mut **conn)
        .expect("statuses");
    // Every article has 1–5 topics whose copies of status and time match the article's.
    let mismatched: i64 = article_topics::table
        .inner_join(articles::table)
        .filter(article_topics::status.ne(articles::status))
        .count()
        .get_result(&mut **conn)
        .expect("count");
    assert_eq!(mismatched, 0);
    (titles, statuses)
}

#[test]
fn the_same_seed_gives_the_same_newsroom_and_another_seed_another() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((a, _d1, _s1)) = fresh_database(backend) else {
            continue;
        };
        let Some((b, _d2, _s2)) = fresh_database(backend) else {
            continue;
        };
        let Some((c, _d3, _s3)) = fresh_database(backend) else {
            continue;
        };
        let (titles_a, statuses_a) = shape(&a, small(7));
        let (titles_b, statuses_b) = shape(&b, small(7));
        let (titles_c, _) = shape(&c, small(8));
        assert_eq!(titles_a.len(), 300);
        assert_eq!(titles_a, titles_b, "{backend:?}");
        assert_eq!(statuses_a, statuses_b);
        assert_ne!(titles_a, titles_c);
        let published = statuses_a
            .iter()
            .find(|(s, _)| s == "published")
            .map_or(0, |(_, n)| *n);
        assert!(published > 250, "mostly published: {statuses_a:?}");
        assert!(
            statuses_a.iter().any(|(s, _)| s == "draft"),
            "some drafts: {statuses_a:?}"
        );
    }
}

#[actix_web::test]
async fn a_synthetic_newsroom_is_served_like_any_other() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn(backend).await else {
            continue;
        };
        generate(&app.state.db, small(3)).expect("generate");
        let list = json_of(
            app.get("/api/v1/articles?count=true&limit=100").await,
            StatusCode::OK,
        )
        .await;
        let total = list["meta"]["pagination"]["total"].as_i64().unwrap();
        assert!(total > 250 && total < 300, "{total}");
        let slug = list["data"][0]["slug"].as_str().unwrap().to_owned();
        let article = json_of(
            app.get(&format!("/api/v1/articles/{slug}")).await,
            StatusCode::OK,
        )
        .await;
        assert!(
            article["data"]["body_html"]
                .as_str()
                .unwrap()
                .contains("<p>")
        );
        // The most popular topic (Zipf: the first) carries the most articles.
        let xiaomi = json_of(app.get("/api/v1/topics/xiaomi").await, StatusCode::OK).await;
        let nokia = json_of(app.get("/api/v1/topics/nokia").await, StatusCode::OK).await;
        assert!(xiaomi["data"]["article_count"].as_i64() > nokia["data"]["article_count"].as_i64());
        // New content after the generator gets fresh ids (sequences were moved past its rows).
        let token = app.admin_token().await;
        crate::factories::topic(&app, &token, "After the generator", None).await;
    }
}
