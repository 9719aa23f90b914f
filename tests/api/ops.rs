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
    // The 1.5 MB bundle is kept by browsers; the page is revalidated.
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), StatusCode::OK);
    assert_eq!(bundle.headers()["cache-control"], "public, max-age=86400");
    let page = app.get("/docs/").await;
    assert_eq!(page.headers()["cache-control"], "no-cache");
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
        |s: &mut headline::config::Settings| s.jwt_secret = Some("too short".into()),
        |s: &mut headline::config::Settings| s.admin_email = Some("a@example.com".to_owned()),
        |s: &mut headline::config::Settings| s.cors_allow_headers = "not a header".to_owned(),
        |s: &mut headline::config::Settings| s.metrics_networks = "10.0.0.0/33".to_owned(),
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

/// One HTTP/1.1 exchange over a fresh connection: (status, headers lower-cased, body).
fn exchange(addr: &str, request: &str) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a response");
    let mut lines = head.lines();
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// The access log, as an operator reads it from the real binary: one JSON line per request on
/// stderr with route, status, bytes, cache and user; a proxy's well-formed `X-Request-Id` kept
/// and echoed, a malformed one replaced.
#[test]
fn every_request_is_one_json_log_line_with_its_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let addr = crate::helpers::free_local_addr();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_headline"))
        .arg("serve")
        .env("DATABASE_URL", dir.path().join("log.db"))
        .env("HEADLINE_BIND", &addr)
        .env("HEADLINE_DEMO", "false")
        .env("HEADLINE_ADMIN_EMAIL", "ops@headline.test")
        .env("HEADLINE_ADMIN_PASSWORD", "a-long-enough-password")
        .env("HEADLINE_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the binary");
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(&addr).is_ok()
    });
    assert!(ready, "the server did not start");

    let get = |path: &str, extra: &str| {
        exchange(
            &addr,
            &format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n"),
        )
    };
    let header = |headers: &[(String, String)], name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (status, headers, _) = get("/api/v1/topics", "X-Request-Id: edge-7f3a:42\r\n");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "x-request-id").as_deref(),
        Some("edge-7f3a:42")
    );
    let (_, headers, _) = get("/api/v1/topics/nope", "X-Request-Id: two words\r\n");
    let minted = header(&headers, "x-request-id").expect("an id");
    assert_eq!(minted.len(), 32, "{minted}");

    let login = r#"{"email":"ops@headline.test","password":"a-long-enough-password"}"#;
    let (_, _, body) = exchange(
        &addr,
        &format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{login}",
            login.len()
        ),
    );
    let body: serde_json::Value = serde_json::from_str(&body).expect("token JSON");
    let token = body["access_token"].as_str().expect("access token");
    let (status, _, _) = get(
        "/api/v1/admin/me",
        &format!("Authorization: Bearer {token}\r\n"),
    );
    assert_eq!(status, 200);
    // A refresh token used twice: the handler's warning is logged inside the request's span.
    let refresh = format!(
        r#"{{"refresh_token":"{}"}}"#,
        body["refresh_token"].as_str().unwrap()
    );
    for id in ["refresh-1", "refresh-2"] {
        exchange(
            &addr,
            &format!(
                "POST /api/v1/auth/refresh HTTP/1.1\r\nHost: x\r\nX-Request-Id: {id}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{refresh}",
                refresh.len()
            ),
        );
    }

    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let all: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let reused = all
        .iter()
        .find(|l| l["message"] == "refresh token reused; family revoked")
        .unwrap_or_else(|| panic!("no reuse warning: {all:#?}"));
    assert_eq!(reused["spans"][0]["request_id"], "refresh-2", "{reused}");
    assert_eq!(reused["spans"][0]["path"], "/api/v1/auth/refresh");
    let lines: Vec<&serde_json::Value> = all
        .iter()
        .filter(|l| l["message"] == "request")
        .filter(|l| l["route"] != "/api/v1/auth/refresh")
        .collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let topics = &lines[0];
    assert_eq!(topics["request_id"], "edge-7f3a:42");
    assert_eq!(topics["method"], "GET");
    assert_eq!(topics["route"], "/api/v1/topics");
    assert_eq!(topics["status"], 200);
    assert_eq!(topics["cache"], "miss");
    assert!(topics["bytes"].as_u64().unwrap() > 0);
    assert!(topics["duration_ms"].as_f64().is_some());
    assert_eq!(lines[1]["route"], "/api/v1/topics/{slug}");
    assert_eq!(lines[1]["status"], 404);
    assert_eq!(lines[1]["request_id"], minted.as_str());
    assert_eq!(lines[2]["user_id"], serde_json::Value::Null);
    assert_eq!(lines[3]["route"], "/api/v1/admin/me");
    assert!(lines[3]["user_id"].as_i64().is_some(), "{:?}", lines[3]);
}

/// Each subcommand takes and lists only its own flags; the server's settings stay on `serve`.
#[test]
fn subcommands_show_only_their_own_flags() {
    let headline = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_headline"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env("HEADLINE_NEW_PASSWORD", "a long passphrase")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, help) = headline(&["user", "create", "--help"]);
    assert!(
        ok && help.contains("--database-url") && help.contains("--role"),
        "{help}"
    );
    assert!(
        !help.contains("--bind") && !help.contains("--cache-max-mb"),
        "{help}"
    );
    let (ok, help) = headline(&["serve", "--help"]);
    assert!(ok && help.contains("--bind"), "{help}");

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let db = db.to_str().unwrap();
    let (ok, out) = headline(&["user", "create", "--database-url", db, "--email", "a@b.co"]);
    assert!(ok && out.contains("with role admin"), "{out}");
    // A server flag is not a subcommand's.
    let (ok, _) = headline(&["migrate", "--bind", "127.0.0.1:1"]);
    assert!(!ok);
}
