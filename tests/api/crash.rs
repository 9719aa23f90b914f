//! Durability: the real binary is killed with SIGKILL under write load, restarted on the same
//! database, and every write it acknowledged (a 201) is still there. On SQLite (WAL,
//! `synchronous = NORMAL`: a commit survives a process crash) and on PostgreSQL. The search
//! index, killed with it mid-way, converges to the database after the restart, and is rebuilt
//! when its directory is gone. Webhook deliveries in flight when it dies are made after the
//! restart.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, fresh_database};

const EMAIL: &str = "crash@headline.test";
const PASSWORD: &str = "a-long-enough-password";

fn start(database_url: &str, addr: &str, search_dir: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_headline"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("HEADLINE_SEARCH_DIR", search_dir)
        .env("HEADLINE_BIND", addr)
        .env("HEADLINE_DEMO", "false")
        .env("HEADLINE_ADMIN_EMAIL", EMAIL)
        .env("HEADLINE_ADMIN_PASSWORD", PASSWORD)
        .env(
            "HEADLINE_JWT_SECRET",
            "a-secret-of-at-least-thirty-two-bytes!",
        )
        // Webhook receivers in these tests are local; a receiver that hangs is cut off after
        // 3 s, and its claim lapses 7 s after it was made.
        .env("HEADLINE_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("HEADLINE_WEBHOOK_POLL_MS", "50")
        .env("HEADLINE_WEBHOOK_TIMEOUT_MS", "3000")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the binary")
}

async fn log_in(client: &reqwest::Client, base: &str) -> String {
    for _ in 0..100 {
        if let Ok(res) = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await
            && res.status() == StatusCode::OK
        {
            let body: Value = res.json().await.unwrap();
            return body["access_token"].as_str().unwrap().to_owned();
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not start");
}

/// The binary on a fresh database and search directory, restarted on both as a test needs.
struct Binary {
    url: String,
    addr: String,
    base: String,
    client: reqwest::Client,
    search: tempfile::TempDir,
    child: Child,
    token: String,
    /// Keeps a SQLite file or a PostgreSQL schema alive for the test.
    _database: Box<dyn std::any::Any>,
}

impl Binary {
    /// Started and logged in; `None` when the backend is not available here.
    async fn start(backend: Backend) -> Option<Binary> {
        let Some((url, dir, schema)) = fresh_database(backend) else {
            eprintln!("skipped: TEST_DATABASE_URL is not set");
            return None;
        };
        let addr = crate::helpers::free_local_addr();
        let search = tempfile::tempdir().unwrap();
        let child = start(&url, &addr, search.path());
        let client = reqwest::Client::new();
        let base = format!("http://{addr}");
        let token = log_in(&client, &base).await;
        Some(Binary {
            url,
            addr,
            base,
            client,
            search,
            child,
            token,
            _database: Box::new((dir, schema)),
        })
    }

    /// SIGKILL: no shutdown, no flush.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Started again on the same database and search directory, and logged in.
    async fn restart(&mut self) {
        self.child = start(&self.url, &self.addr, self.search.path());
        self.token = log_in(&self.client, &self.base).await;
    }
}

/// A failed test does not leave the binary running (nor its database in use).
impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let Some(mut server) = Binary::start(backend).await else {
        return;
    };
    let (client, base) = (server.client.clone(), server.base.clone());
    let token = server.token.clone();

    // Eight writers create topics as fast as they can; each 201 is an acknowledged write.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, base, token, stop) =
                (client.clone(), base.clone(), token.clone(), stop.clone());
            actix_web::rt::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let res = client
                        .post(format!("{base}/api/v1/admin/topics"))
                        .bearer_auth(&token)
                        .json(&json!({"name": format!("Topic {w}-{i}")}))
                        .send()
                        .await;
                    match res {
                        Ok(res) if res.status() == StatusCode::CREATED => {
                            if let Ok(body) = res.json::<Value>().await {
                                acknowledged.push(body["data"]["id"].as_i64().unwrap());
                            }
                        }
                        // Killed mid-request: not acknowledged, so not owed.
                        _ => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() > 20,
        "only {} writes",
        acknowledged.len()
    );

    server.restart().await;
    let mut missing = Vec::new();
    for id in &acknowledged {
        let res = client
            .get(format!("{base}/api/v1/admin/topics/{id}"))
            .bearer_auth(&server.token)
            .send()
            .await
            .unwrap();
        if res.status() != StatusCode::OK {
            missing.push(*id);
        }
    }
    server.kill();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    eprintln!(
        "{}: {} acknowledged writes, all there after SIGKILL",
        backend_name(backend),
        acknowledged.len()
    );
}

/// The total of an admin listing (`count=true`), drafts included.
async fn total(client: &reqwest::Client, base: &str, token: &str, query: &str) -> i64 {
    let res = client
        .get(format!(
            "{base}/api/v1/admin/articles?count=true&limit=1{query}"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["meta"]["pagination"]["total"].as_i64().unwrap()
}

/// Waits until a search for the word every article has counts every article.
async fn search_converges(client: &reqwest::Client, base: &str, token: &str) -> i64 {
    let articles = total(client, base, token, "").await;
    for _ in 0..300 {
        if total(client, base, token, "&q=crashword").await == articles {
            return articles;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "search found {} of {articles} articles",
        total(client, base, token, "&q=crashword").await
    );
}

/// Writers create articles while the server (and its indexer) is killed; after a restart the
/// index applies what it had not, and after its directory is removed it is rebuilt.
async fn search_converges_after_sigkill(backend: Backend) {
    let Some(mut server) = Binary::start(backend).await else {
        return;
    };
    let (client, base) = (server.client.clone(), server.base.clone());
    let token = server.token.clone();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            actix_web::rt::spawn(async move {
                for i in 0.. {
                    let res = client
                        .post(format!("{base}/api/v1/admin/articles"))
                        .bearer_auth(&token)
                        .json(&json!({
                            "title": format!("Crashword story {w} {i}"),
                            "body_markdown": "Written while the server is killed.",
                        }))
                        .send()
                        .await;
                    if !matches!(res, Ok(res) if res.status() == StatusCode::CREATED) {
                        return i;
                    }
                }
                0
            })
        })
        .collect();
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    server.kill(); // indexer and all
    for writer in writers {
        writer.await.unwrap();
    }

    server.restart().await;
    let articles = search_converges(&client, &base, &server.token).await;
    assert!(articles > 20, "only {articles} articles written");
    server.kill();

    // The index directory is lost: the next start builds it again from the database.
    std::fs::remove_dir_all(server.search.path()).unwrap();
    server.restart().await;
    assert_eq!(
        search_converges(&client, &base, &server.token).await,
        articles
    );
    server.kill();
    eprintln!(
        "{}: {articles} articles, all found after SIGKILL and after losing the index",
        backend_name(backend)
    );
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

#[actix_web::test]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    acknowledged_writes_survive_sigkill(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    acknowledged_writes_survive_sigkill(Backend::Postgres).await;
}

#[actix_web::test]
async fn search_converges_after_sigkill_on_sqlite() {
    search_converges_after_sigkill(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
async fn search_converges_after_sigkill_on_postgres() {
    search_converges_after_sigkill(Backend::Postgres).await;
}

/// A webhook receiver that holds the first request it gets (the server is killed while it
/// waits) and answers the others at once; it records every `webhook-id` it sees.
fn stalling_receiver() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let ids: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let store = ids.clone();
    let server = HttpServer::new(move || {
        let store = store.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest| {
                let store = store.clone();
                async move {
                    let id = req
                        .headers()
                        .get("webhook-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let first = {
                        let mut ids = store.lock().unwrap();
                        ids.push(id);
                        ids.len() == 1
                    };
                    if first {
                        actix_web::rt::time::sleep(Duration::from_secs(30)).await;
                    }
                    HttpResponse::NoContent().finish()
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    (url, ids)
}

async fn webhook_deliveries_survive_sigkill(backend: Backend) {
    let Some(mut server) = Binary::start(backend).await else {
        return;
    };
    let (receiver, ids) = stalling_receiver();
    let (client, base) = (server.client.clone(), server.base.clone());
    let post = |path: String, token: String, body: Value| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let res = post(
        "/api/v1/admin/webhooks".to_owned(),
        server.token.clone(),
        json!({"url": receiver, "events": ["article.published"]}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    for i in 0..5 {
        let res = post(
            "/api/v1/admin/articles".to_owned(),
            server.token.clone(),
            json!({"title": format!("Story {i}"), "body_markdown": "Text."}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<Value>().await.unwrap()["data"]["id"].clone();
        let res = post(
            format!("/api/v1/admin/articles/{id}/publish"),
            server.token.clone(),
            json!({}),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Killed while the first delivery waits for its answer.
    for _ in 0..200 {
        if !ids.lock().unwrap().is_empty() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    let stalled = ids
        .lock()
        .unwrap()
        .first()
        .cloned()
        .expect("a delivery began");
    server.kill();
    server.restart().await;
    // After the restart every event arrives, the interrupted one again (at least once).
    let mut distinct = std::collections::HashSet::new();
    for _ in 0..600 {
        let seen = ids.lock().unwrap().clone();
        distinct = seen.iter().cloned().collect();
        let again = seen.iter().filter(|id| **id == stalled).count() >= 2;
        if distinct.len() == 5 && again {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("after the restart: {distinct:?}, the stalled {stalled} once");
}

#[actix_web::test]
async fn webhook_deliveries_survive_sigkill_on_sqlite() {
    webhook_deliveries_survive_sigkill(Backend::Sqlite).await;
}

#[actix_web::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_DATABASE_URL to run the PostgreSQL half"
)]
async fn webhook_deliveries_survive_sigkill_on_postgres() {
    webhook_deliveries_survive_sigkill(Backend::Postgres).await;
}
