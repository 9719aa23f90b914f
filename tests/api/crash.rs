//! Durability: the real binary is killed with SIGKILL under write load, restarted on the same
//! database, and every write it acknowledged (a 201) is still there. On SQLite (WAL,
//! `synchronous = NORMAL`: a commit survives a process crash) and on PostgreSQL.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, fresh_database};

const EMAIL: &str = "crash@headline.test";
const PASSWORD: &str = "a-long-enough-password";

fn start(database_url: &str, addr: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_headline"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("HEADLINE_BIND", addr)
        .env("HEADLINE_DEMO", "false")
        .env("HEADLINE_ADMIN_EMAIL", EMAIL)
        .env("HEADLINE_ADMIN_PASSWORD", PASSWORD)
        .env(
            "HEADLINE_JWT_SECRET",
            "a-secret-of-at-least-thirty-two-bytes!",
        )
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

async fn acknowledged_writes_survive_sigkill(backend: Backend) {
    let Some((url, _dir, _schema)) = fresh_database(backend) else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let addr = crate::helpers::free_local_addr();
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let mut server = start(&url, &addr);
    let token = log_in(&client, &base).await;

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
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
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

    let mut server = start(&url, &addr);
    let token = log_in(&client, &base).await;
    let mut missing = Vec::new();
    for id in &acknowledged {
        let res = client
            .get(format!("{base}/api/v1/admin/topics/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if res.status() != StatusCode::OK {
            missing.push(*id);
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
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
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    acknowledged_writes_survive_sigkill(Backend::Postgres).await;
}
