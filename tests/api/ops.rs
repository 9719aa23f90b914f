//! Operations: probes, Swagger UI, request ids, and the demo newsroom.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, json_of};

async fn probes_answer_and_every_response_has_a_request_id(app: TestApp) {
    let res = app.get("/healthz").await;
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(json_of(res, StatusCode::OK).await["status"], "ok");
    let ready = json_of(app.get("/readyz").await, StatusCode::OK).await;
    let expected = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(ready["database"], expected);
}

async fn swagger_ui_is_served_from_the_binary(app: TestApp) {
    let res = app.get("/docs").await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let init = app
        .get("/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"));
    let spec = json_of(app.get("/openapi.json").await, StatusCode::OK).await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[actix_web::test]
async fn the_demo_newsroom_is_loaded_into_an_empty_database() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| s.demo = true).await else {
            continue;
        };
        let slug = headline::seed::MAIN_SLUG;
        let article = json_of(
            app.get(&format!("/api/v1/articles/{slug}")).await,
            StatusCode::OK,
        )
        .await;
        let data = &article["data"];
        assert_eq!(data["authors"][0]["name"], "Andy Boxall");
        assert_eq!(data["authors"][0]["job_title"], "Senior Writer");
        let topics: Vec<&str> = data["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(topics, ["Xiaomi", "Nokia"]);
        assert_eq!(
            data["feature_image"]["credit"],
            "Andy Boxall/Digital Trends"
        );
        let related: Vec<&str> = data["related"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .map(|r| r["article"]["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            related,
            [
                "New Xiaomi phones are launching on July 4 with (hopefully) amazing cameras",
                "Making sense of Xiaomi's confusing new Redmi Note 11 range",
                "Xiaomi patents full-screen fingerprint technology for phones",
            ]
        );
        let redmi = json_of(app.get("/api/v1/topics/redmi").await, StatusCode::OK).await;
        assert_eq!(redmi["data"]["parent"]["name"], "Xiaomi");
        let videos = json_of(
            app.get("/api/v1/lists/recommended-videos").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(videos["data"]["items"][0]["kind"], "video");
        // Starting again over the same database does not load it twice.
        let again = app.second_instance().await;
        let all = json_of(
            again.get("/api/v1/articles?count=true").await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(all["meta"]["pagination"]["total"], 4);
    }
}

/// Headers a frontend's tooling adds (tracing, frameworks) pass a preflight once allowed.
async fn extra_request_headers_are_allowed_when_configured(app: TestApp) {
    let preflight = |app: &TestApp| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/articles"))
            .header("Origin", "https://frontend.example.com")
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "sentry-trace")
            .send()
    };
    assert!(!preflight(&app).await.unwrap().status().is_success());
    let allowing = app
        .second_instance_with(|s| s.cors_allow_headers = "sentry-trace, x-requested-with".into())
        .await;
    assert!(preflight(&allowing).await.unwrap().status().is_success());
    let any = app
        .second_instance_with(|s| s.cors_allow_headers = "*".into())
        .await;
    assert!(preflight(&any).await.unwrap().status().is_success());
}

async fn browsers_may_call_the_api_from_other_origins(app: TestApp) {
    let res = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url("/api/v1/admin/articles/1"),
        )
        .header("Origin", "https://frontend.example.com")
        .header("Access-Control-Request-Method", "PATCH")
        .header(
            "Access-Control-Request-Headers",
            "authorization, if-match, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let res = app
        .client
        .get(app.url("/api/v1/articles"))
        .header("Origin", "https://frontend.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let exposed = res.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
}

crate::backend_tests!(
    extra_request_headers_are_allowed_when_configured,
    probes_answer_and_every_response_has_a_request_id,
    swagger_ui_is_served_from_the_binary,
    browsers_may_call_the_api_from_other_origins,
);

/// Settings are checked before the database is opened: a refused start creates no file.
#[test]
fn a_refused_start_touches_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refused.db");
    for tweak in [
        |s: &mut headline::config::Settings| s.jwt_secret = Some("too short".to_owned()),
        |s: &mut headline::config::Settings| s.admin_email = Some("a@example.com".to_owned()),
        |s: &mut headline::config::Settings| s.cors_allow_headers = "not a header".to_owned(),
    ] {
        let mut settings = crate::helpers::test_settings(path.to_str().unwrap());
        tweak(&mut settings);
        let refused = headline::startup::prepare(settings).err();
        assert!(
            matches!(refused, Some(headline::startup::StartupError::Config(_))),
            "{refused:?}"
        );
        assert!(!path.exists(), "the database file was created");
    }
}
