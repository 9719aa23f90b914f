//! `GET /metrics`: what it reports, in Prometheus's text format, and who may read it.
//! The recorder is one per process, shared by every test app: counters are compared before
//! and after, never with absolute values.

use reqwest::StatusCode;
use serde_json::json;

use crate::factories::{draft, editor, publish};
use crate::helpers::{Backend, TestApp};

async fn scrape(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    res.text().await.unwrap()
}

/// The value of the sample whose line starts with `series` (name and labels), 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics_count_requests_cache_database_and_schedule(app: TestApp) {
    let (token, _) = editor(&app).await;
    let later = draft(&app, &token, "Embargoed", json!({})).await;
    publish(
        &app,
        &token,
        later["id"].as_i64().unwrap(),
        Some("2099-01-01T00:00:00Z"),
    )
    .await;

    let series =
        r#"headline_http_requests_total{method="GET",route="/api/v1/articles",status="200"}"#;
    let before = sample(&scrape(&app).await, series);
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/articles").await.status(), StatusCode::OK);
    }
    app.get("/no/such/page").await;
    let text = scrape(&app).await;
    assert!(sample(&text, series) >= before + 3.0, "{text}");
    // Unmatched paths share one label: raw paths would make the series unbounded.
    assert!(text.contains(r#"route="-",status="404""#), "{text}");
    assert!(text.contains(
        r#"headline_http_request_duration_seconds_bucket{method="GET",route="/api/v1/articles",status="200",le="0.005"}"#
    ));
    assert!(sample(&text, r#"headline_cache_requests_total{result="hit"}"#) >= 2.0);
    assert!(sample(&text, r#"headline_cache_requests_total{result="miss"}"#) >= 1.0);
    assert!(sample(&text, "headline_db_statement_duration_seconds_count") > 0.0);
    assert!(sample(&text, "headline_db_pool_wait_seconds_count") > 0.0);
    assert!(sample(&text, "headline_db_pool_max") >= 1.0);
    assert!(text.contains("headline_db_pool_in_use "), "{text}");
    assert!(sample(&text, "headline_cache_bytes") > 0.0);
    assert_eq!(sample(&text, "headline_scheduled_articles_pending"), 1.0);
    assert!(text.contains("# HELP headline_http_requests_total"));

    // A cache hit counts under the route of the response it serves, though no route ran.
    let live = draft(&app, &token, "Counted when cached", json!({})).await;
    let live = publish(&app, &token, live["id"].as_i64().unwrap(), None).await;
    let path = format!("/api/v1/articles/{}", live["slug"].as_str().unwrap());
    let page = r#"headline_http_requests_total{method="GET",route="/api/v1/articles/{slug}",status="200"}"#;
    let before = sample(&scrape(&app).await, page);
    let mut caching = Vec::new();
    for _ in 0..3 {
        let res = app.get(&path).await;
        assert_eq!(res.status(), StatusCode::OK);
        caching.push(res.headers()["x-cache"].to_str().unwrap().to_owned());
    }
    assert_eq!(caching, ["miss", "hit", "hit"]);
    let text = scrape(&app).await;
    // Other tests read article pages too (one recorder per process): at least these three.
    assert!(sample(&text, page) >= before + 3.0);
    // A hit labelled by its path, not its pattern, would add a series per URL.
    assert!(!text.contains(&format!("route=\"{path}\"")), "{text}");

    // A title-sorted page (of the article just published) reads its cards by id: the first
    // time from the database, then from the held cards (another URL, so that the response
    // cache does not answer it).
    let held = r#"headline_held_cards_total{result="hit"}"#;
    let read = r#"headline_held_cards_total{result="miss"}"#;
    let text = scrape(&app).await;
    let (hits, misses) = (sample(&text, held), sample(&text, read));
    for path in [
        "/api/v1/articles?sort=title",
        "/api/v1/articles?sort=title&limit=10",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK);
    }
    let text = scrape(&app).await;
    assert!(sample(&text, read) >= misses + 1.0, "{text}");
    assert!(sample(&text, held) >= hits + 1.0, "{text}");
    assert!(
        sample(&text, "headline_held_cards_entries") >= 1.0,
        "{text}"
    );
    assert!(sample(&text, "headline_held_cards_bytes") > 0.0, "{text}");
}

crate::backend_tests!(metrics_count_requests_cache_database_and_schedule);

#[actix_web::test]
async fn metrics_are_served_only_to_allowed_networks_or_with_the_token() {
    let token = "a-long-enough-metrics-token";
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.metrics_networks = "10.0.0.0/8".to_owned();
        s.metrics_token = Some(token.into());
    })
    .await
    .unwrap();
    let scrape = |bearer: Option<&str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(bearer) = bearer {
            req = req.bearer_auth(bearer);
        }
        req.send()
    };
    // 127.0.0.1 is outside 10.0.0.0/8.
    assert_eq!(scrape(None).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(
        scrape(Some("not-the-token")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(scrape(Some(token)).await.unwrap().status(), StatusCode::OK);
}
