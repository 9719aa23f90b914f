//! Response compression: every coding a client may ask for, each public representation with
//! its own ETag, revalidation across representations, and the rest of the API compressed too.
//! Compression does not depend on the database: these run on SQLite only.

use std::io::Read;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::factories::{editor, published};
use crate::helpers::{Backend, TestApp};

fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn decode(coding: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "" => out.extend_from_slice(bytes),
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        "deflate" => {
            flate2::read::ZlibDecoder::new(bytes)
                .read_to_end(&mut out)
                .unwrap();
        }
        "zstd" => out = zstd::decode_all(bytes).unwrap(),
        other => panic!("unexpected coding {other}"),
    }
    out
}

async fn get(app: &TestApp, path: &str, accept: &str, if_none_match: Option<&str>) -> Response {
    let mut req = app.client.get(app.url(path));
    if !accept.is_empty() {
        req = req.header("Accept-Encoding", accept);
    }
    if let Some(tag) = if_none_match {
        req = req.header("If-None-Match", tag);
    }
    req.send().await.unwrap()
}

/// (status, content-encoding, etag, vary, decoded body)
async fn fetch(
    app: &TestApp,
    path: &str,
    accept: &str,
) -> (StatusCode, String, String, String, Vec<u8>) {
    let res = get(app, path, accept, None).await;
    let (status, coding) = (res.status(), header(&res, "content-encoding"));
    let (etag, vary) = (header(&res, "etag"), header(&res, "vary"));
    let body = decode(&coding, &res.bytes().await.unwrap());
    (status, coding, etag, vary, body)
}

async fn public_responses_come_in_every_coding_with_their_own_etags(app: TestApp) {
    let (token, _) = editor(&app).await;
    for i in 0..5 {
        published(
            &app,
            &token,
            &format!("Xiaomi and Nokia, part {i}"),
            "2024-01-01T00:00:00Z",
            json!({"excerpt": "The deal may accelerate Xiaomi's stalled global launch plans."}),
        )
        .await;
    }
    let path = "/api/v1/articles?limit=5";
    let (status, coding, plain_etag, vary, plain) = fetch(&app, path, "").await;
    assert_eq!((status, coding.as_str()), (StatusCode::OK, ""));
    assert!(vary.contains("accept-encoding"), "{vary}");
    let open = plain_etag.trim_end_matches('"');
    for coding in ["br", "zstd", "gzip", "deflate"] {
        // Twice: a miss (or the first of this coding) and a hit.
        for _ in 0..2 {
            let (status, got, etag, vary, body) = fetch(&app, path, coding).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(got, coding);
            assert_eq!(etag, format!("{open}-{coding}\""));
            assert!(vary.contains("accept-encoding"), "{vary}");
            assert_eq!(body, plain, "{coding} decodes to the same body");
        }
    }
    // The client's preference wins; on a tie brotli does.
    assert_eq!(fetch(&app, path, "gzip;q=0.9, br;q=0.5").await.1, "gzip");
    assert_eq!(fetch(&app, path, "gzip, deflate, br, zstd").await.1, "br");
    assert_eq!(fetch(&app, path, "identity").await.1, "");

    // A copy of any representation of the same body revalidates, and the 304 names the
    // representation this request would get.
    let br_etag = format!("{open}-br\"");
    for held in [br_etag.as_str(), plain_etag.as_str()] {
        let res = get(&app, path, "br", Some(held)).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&res, "etag"), br_etag);
        assert!(res.bytes().await.unwrap().is_empty());
    }
    let res = get(&app, path, "", Some(&br_etag)).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&res, "etag"), plain_etag);
}

#[actix_web::test]
async fn public_responses_compress_with_and_without_the_cache() {
    let cached = TestApp::spawn(Backend::Sqlite).await.unwrap();
    public_responses_come_in_every_coding_with_their_own_etags(cached).await;
    let uncached = TestApp::spawn_with(Backend::Sqlite, |s| s.cache = false)
        .await
        .unwrap();
    public_responses_come_in_every_coding_with_their_own_etags(uncached).await;
}

#[actix_web::test]
async fn admin_errors_and_docs_are_compressed_too() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, _) = editor(&app).await;
    let res = app
        .client
        .get(app.url("/api/v1/admin/articles"))
        .bearer_auth(&token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-encoding"), "gzip");
    let body: Value = serde_json::from_slice(&decode("gzip", &res.bytes().await.unwrap())).unwrap();
    assert!(body["data"].is_array());

    let res = get(&app, "/api/v1/articles/no-such-story", "br", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&res, "content-type"), "application/problem+json");
    assert_eq!(header(&res, "content-encoding"), "br");
    let body: Value = serde_json::from_slice(&decode("br", &res.bytes().await.unwrap())).unwrap();
    assert_eq!(body["status"], 404);

    let res = get(&app, "/docs/swagger-ui-bundle.js", "br", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-encoding"), "br");
    let full = res.bytes().await.unwrap();
    assert!(
        full.len() < 700_000,
        "the 1.5 MB bundle compresses: {}",
        full.len()
    );
}
