//! Every error class answers RFC 9457 problem+json with the right status, never a 500.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::factories::editor;
use crate::helpers::{Backend, TestApp, json_of, problem};

async fn malformed_and_unknown_json_is_a_400_and_bad_values_a_422(app: TestApp) {
    let (token, _) = editor(&app).await;
    let raw = |body: &'static str| {
        app.client
            .post(app.url("/api/v1/admin/topics"))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let body = problem(raw(r#"{"name": "#).await.unwrap(), StatusCode::BAD_REQUEST).await;
    assert_eq!(body["code"], "malformed_json");
    problem(raw("").await.unwrap(), StatusCode::BAD_REQUEST).await;
    let body = problem(
        raw(r#"{"name": "X", "colour": "red"}"#).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "unknown_field");
    assert_eq!(body["errors"][0]["field"], "colour");
    let body = problem(
        raw(r#"{"description": "no name"}"#).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "name");
    let body = problem(
        raw(r#"{"name": 42}"#).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "name");
    // NUL cannot be stored on PostgreSQL: a 422 naming the field, on both backends.
    let body = problem(
        raw(r#"{"name": "Nokia\u0000"}"#).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "name");
    for path in [
        "/api/v1/articles/nokia%00",
        "/api/v1/articles?topic=%00",
        "/api/v1/articles?cursor=abc%00",
        "/api/v1/topics/x%00y",
    ] {
        let body = problem(app.get(path).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["code"], "invalid_characters", "{path}");
    }
    // Lengths count the text as sent (the schema's maxLength), though it is stored trimmed.
    let long = json!({ "name": format!(" {}", "n".repeat(200)) }).to_string();
    let body = problem(
        app.client
            .post(app.url("/api/v1/admin/topics"))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(long)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "name");
    // A body is an object: serde alone would fill the struct from an array.
    let body = problem(
        raw(r#"["X", null]"#).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "body");
    // `2.0` is the integer 2 in JSON (and JSON Schema): a reference by id may be written so.
    let body = problem(
        raw(r#"{"name": "Redmi", "parent_id": 987654.0}"#)
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["message"], "no topic with id 987654");
    let body = problem(
        raw(r#"{"name": "Redmi", "parent_id": 1.5}"#).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "parent_id");
    let body = problem(
        raw(r#"{"name": "  ", "slug": "Not A Slug"}"#)
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "slug"]);
    let long = "x".repeat(301);
    let res = app
        .post("/api/v1/admin/articles", &token, json!({"title": long}))
        .await;
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "T", "feature_image": {"url": "javascript:alert(1)"}}),
        )
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "feature_image.url");
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "T", "seo": {"bogus": 1}}),
        )
        .await;
    let body = problem(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["errors"][0]["field"], "seo.bogus");
}

async fn wrong_content_type_is_a_415(app: TestApp) {
    let (token, _) = editor(&app).await;
    let res = app
        .client
        .post(app.url("/api/v1/admin/topics"))
        .bearer_auth(&token)
        .header("Content-Type", "text/plain")
        .body(r#"{"name": "X"}"#)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

async fn unknown_query_parameters_and_values_are_a_400(app: TestApp) {
    let (token, _) = editor(&app).await;
    for path in [
        "/api/v1/articles?colour=red",
        "/api/v1/articles?sort=popularity",
        "/api/v1/articles?include=comments",
        "/api/v1/articles?fields=slug,password",
        "/api/v1/articles?limit=101",
        "/api/v1/articles?limit=0",
        "/api/v1/articles?limit=lots",
        "/api/v1/articles?limit=99999999999999999999999",
        "/api/v1/articles?cursor=garbage",
        "/api/v1/articles?published_after=yesterday",
        "/api/v1/articles/some-slug?preview=true",
        "/api/v1/authors?sort=name",
        "/api/v1/topics?limit=1000",
        "/api/v1/topics/xiaomi?expand=all",
        "/healthz?verbose=1",
    ] {
        problem(app.get(path).await, StatusCode::BAD_REQUEST).await;
    }
    for path in [
        "/api/v1/admin/articles?bogus=1",
        "/api/v1/admin/me?x=1",
        "/api/v1/admin/topics/1?x=1",
    ] {
        let body = problem(app.get_auth(path, &token).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(body["code"], "invalid_query", "{path}");
    }
    let res = app
        .patch(
            "/api/v1/admin/articles/1?dry_run=true",
            &token,
            json!({"title": "X"}),
        )
        .await;
    problem(res, StatusCode::BAD_REQUEST).await;
    // A cursor made for one sort is refused by another.
    crate::factories::published(&app, &token, "A", "2024-01-01T00:00:00Z", json!({})).await;
    crate::factories::published(&app, &token, "B", "2024-01-02T00:00:00Z", json!({})).await;
    let page: serde_json::Value = app
        .get("/api/v1/articles?limit=1")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["meta"]["pagination"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = problem(
        app.get(&format!("/api/v1/articles?sort=title&cursor={cursor}"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "invalid_cursor");
}

async fn unknown_routes_are_404_and_wrong_methods_405(app: TestApp) {
    problem(app.get("/api/v1/nothing-here").await, StatusCode::NOT_FOUND).await;
    // HEAD works wherever GET does: the headers, no body.
    let res = app
        .request(Method::HEAD, "/api/v1/articles", None, None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("etag"));
    assert!(res.bytes().await.unwrap().is_empty());
    let res = app
        .request(Method::DELETE, "/api/v1/articles/some-slug", None, None)
        .await;
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
    let res = app
        .request(Method::PUT, "/api/v1/admin/articles", None, None)
        .await;
    assert_eq!(res.headers()["allow"], "GET, HEAD, POST");
    problem(res, StatusCode::METHOD_NOT_ALLOWED).await;
    let token = app.admin_token().await;
    problem(
        app.get_auth("/api/v1/admin/articles/not-a-number", &token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.get_auth("/api/v1/admin/articles/424242", &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn duplicates_are_a_409_naming_the_field(app: TestApp) {
    let (token, _) = editor(&app).await;
    crate::factories::topic(&app, &token, "Xiaomi", None).await;
    let res = app
        .post("/api/v1/admin/topics", &token, json!({"name": "Xiaomi"}))
        .await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(body["errors"][0]["field"], "slug");
    let admin = app.admin_token().await;
    let res = app
        .post("/api/v1/admin/users", &admin, json!({"email": "EDITOR@headline.test", "password": "long enough password", "role": "editor"}))
        .await;
    let body = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(body["errors"][0]["field"], "email");
}

#[actix_web::test]
async fn bodies_over_the_limit_are_a_413() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| s.body_limit = 1024).await else {
            continue;
        };
        let (token, _) = editor(&app).await;
        let res = app
            .post(
                "/api/v1/admin/articles",
                &token,
                json!({"title": "Big", "body_markdown": "x".repeat(4096)}),
            )
            .await;
        problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
        // Without Content-Length (chunked), the limit still holds.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
            Ok(br#"{"title": "Big", "body_markdown": ""#.to_vec()),
            Ok(vec![b'x'; 4096]),
            Ok(br#""}"#.to_vec()),
        ];
        let res = app
            .client
            .post(app.url("/api/v1/admin/articles"))
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await
            .unwrap();
        problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
}

/// Logins and other small bodies stop at 64 KiB whatever HEADLINE_BODY_LIMIT says, so that
/// nobody can make the server buffer 10 MiB per unauthenticated request; articles get the
/// configured limit.
async fn small_bodies_stop_at_64_kib(app: TestApp) {
    let big = "x".repeat(70 * 1024);
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "a@example.com", "password": big}))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    let (token, _) = editor(&app).await;
    let res = app
        .post(
            "/api/v1/admin/topics",
            &token,
            json!({"name": "Big", "description": big}),
        )
        .await;
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    // 70 KiB of markdown is an ordinary article.
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Long read", "body_markdown": big}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

/// `cursor=` with nothing is the first page, as the schema allows (a client with no next cursor
/// to pass); a cursor that is not one of ours is still a 400.
async fn an_empty_cursor_is_the_first_page(app: TestApp) {
    for path in [
        "/api/v1/articles?cursor=",
        "/api/v1/authors?cursor=",
        "/api/v1/topics?cursor=",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    let token = app.admin_token().await;
    for path in [
        "/api/v1/admin/articles?cursor=",
        "/api/v1/admin/users?cursor=",
    ] {
        assert_eq!(
            app.get_auth(path, &token).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
    let body = problem(
        app.get("/api/v1/articles?cursor=bm9wZQ").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "invalid_cursor");
}

/// Dates PostgreSQL cannot store (year -4714) or chrono reads but no archive has (262143)
/// are refused where they come in, naming the field, on both backends; the years 1900-9999
/// as written are accepted, whatever the offset.
async fn dates_outside_the_years_1900_to_9999_are_refused(app: TestApp) {
    let (token, _) = editor(&app).await;
    for at in [
        "-4714-11-24T00:00:00Z",
        "+262143-01-01T00:00:00Z",
        "1899-12-31T23:59:59Z",
    ] {
        let body = problem(
            app.post(
                "/api/v1/admin/articles",
                &token,
                json!({"title": "Dated", "published_at": at}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "published_at", "{at}: {body}");
    }
    let article = crate::factories::draft(&app, &token, "Dated", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    let body = problem(
        app.post(
            &format!("/api/v1/admin/articles/{id}/publish"),
            &token,
            json!({"publish_at": "0001-01-01T00:00:00Z"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "publish_at");
    let body = problem(
        app.patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"published_at": "10000-01-01T00:00:00Z"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(body["errors"][0]["field"] == "published_at", "{body}");
    // Written in 1900 with an offset: 1899 in UTC, and accepted.
    json_of(
        app.patch(
            &format!("/api/v1/admin/articles/{id}"),
            &token,
            json!({"published_at": "1900-01-01T00:00:00+05:00"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let body = problem(
        app.get("/api/v1/articles?published_after=0999-01-01T00:00:00Z")
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "published_after");
    // A cursor carrying year -4714 (made up: the server never mints one).
    use base64::Engine as _;
    let micros = -210_866_803_200_000_000i64 - 86_400_000_000;
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("-published_at\n1\n{micros}"));
    let body = problem(
        app.get(&format!("/api/v1/articles?cursor={cursor}")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body["code"], "invalid_cursor");
    // The same cursor in 2024 is fine: the refusal was the year.
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode("-published_at\n1\n1704067200000000");
    json_of(
        app.get(&format!("/api/v1/articles?cursor={cursor}")).await,
        StatusCode::OK,
    )
    .await;
}

crate::backend_tests!(
    dates_outside_the_years_1900_to_9999_are_refused,
    an_empty_cursor_is_the_first_page,
    small_bodies_stop_at_64_kib,
    malformed_and_unknown_json_is_a_400_and_bad_values_a_422,
    wrong_content_type_is_a_415,
    unknown_query_parameters_and_values_are_a_400,
    unknown_routes_are_404_and_wrong_methods_405,
    duplicates_are_a_409_naming_the_field,
);
