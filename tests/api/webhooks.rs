//! Webhooks: signed deliveries of public changes, retries, dead letters, redelivery, pings,
//! the SSRF guard and several instances. Receivers listen on 127.0.0.1 only, so these apps
//! allow private targets; the guard's own test does not.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::factories::{draft, editor, publish, topic};
use crate::helpers::{TestApp, free_local_addr, json_of, problem};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A local receiver that answers 500 to its first `failures` requests, then 204.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let store = got.clone();
        let server = HttpServer::new(move || {
            let store = store.clone();
            let seen = seen.clone();
            App::new().route(
                "/hook",
                web::post().to(move |req: HttpRequest, body: String| {
                    let store = store.clone();
                    let seen = seen.clone();
                    async move {
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        store.lock().expect("lock").push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body,
                        });
                        if seen.fetch_add(1, Ordering::SeqCst) < failures {
                            HttpResponse::InternalServerError().body("not now")
                        } else {
                            HttpResponse::NoContent().finish()
                        }
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        actix_web::rt::spawn(server);
        Receiver { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `n` requests have arrived.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {n} deliveries, got {:?}", self.received());
    }
}

/// Verifies a Standard Webhooks signature with its published algorithm, written here apart
/// from the server's code: base64 HMAC-SHA256 of `id.timestamp.body` keyed by the secret's
/// base64 bytes, in a `v1,` entry.
fn verify(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    r.signature
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

async fn create(app: &TestApp, token: &str, url: &str, events: Value) -> Value {
    let res = app
        .post(
            "/api/v1/admin/webhooks",
            token,
            json!({"url": url, "events": events, "description": "test"}),
        )
        .await;
    json_of(res, StatusCode::CREATED).await["data"].clone()
}

async fn deliveries(app: &TestApp, token: &str, hook: i64) -> Vec<Value> {
    let res = app
        .get_auth(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), token)
        .await;
    json_of(res, StatusCode::OK).await["data"]
        .as_array()
        .expect("data")
        .clone()
}

/// Waits until the newest delivery of `hook` satisfies `done`.
async fn wait_delivery(
    app: &TestApp,
    token: &str,
    hook: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..400 {
        if let Some(d) = deliveries(app, token, hook).await.first()
            && done(d)
        {
            return d.clone();
        }
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "delivery never settled: {:?}",
        deliveries(app, token, hook).await
    );
}

/// Waits until attempt `n` of delivery `delivery` is logged (its `last_attempt_at` moves on
/// from `before`): a claim counts the attempt before its outcome is written.
async fn wait_attempt(
    app: &TestApp,
    token: &str,
    hook: i64,
    delivery: &Value,
    n: i64,
    before: &Value,
) -> Value {
    wait_delivery(app, token, hook, |d| {
        d["id"] == *delivery && d["attempts"] == n && d["last_attempt_at"] != *before
    })
    .await
}

fn allow_private(s: &mut headline::config::Settings) {
    s.webhook_allow_private = true;
}

async fn signed_deliveries_follow_public_changes(app: TestApp) {
    let token = app.admin_token().await;
    let receiver = Receiver::start(0);
    let hook = create(&app, &token, &receiver.url, json!(["article.*"])).await;
    let secret = hook["secret"]
        .as_str()
        .expect("secret shown once")
        .to_owned();
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(hook["events"], json!(["article.*"]));
    // The secret is never shown again.
    let res = app
        .get_auth(&format!("/api/v1/admin/webhooks/{id}"), &token)
        .await;
    let shown = json_of(res, StatusCode::OK).await;
    assert!(shown["data"].get("secret").is_none());

    // A draft, a topic (not subscribed), then the publication.
    topic(&app, &token, "Xiaomi", None).await;
    let a = draft(&app, &token, "Nokia deal", json!({})).await;
    publish(&app, &token, a["id"].as_i64().unwrap(), None).await;
    let got = receiver.wait_for(1).await;
    let first = &got[0];
    assert!(verify(&secret, first), "signature of {first:?}");
    assert!(first.id.starts_with("msg_"));
    let body = first.json();
    assert_eq!(body["type"], "article.published");
    assert_eq!(body["data"]["entity"], "article");
    assert_eq!(body["data"]["id"], a["id"]);
    assert_eq!(body["data"]["slug"], "nokia-deal");
    assert_eq!(body["data"]["object"]["title"], "Nokia deal");
    assert!(body["data"]["seq"].as_i64().unwrap() > 0);
    // The log says how it went.
    let logged = wait_delivery(&app, &token, id, |d| d["state"] == "delivered").await;
    assert_eq!(logged["attempts"], 1);
    assert_eq!(logged["response_status"], 204);
    assert_eq!(logged["event"], "article.published");
    assert_eq!(logged["message_id"], first.id.as_str());

    // A delete carries the id and slug, no view.
    let res = app
        .delete(&format!("/api/v1/admin/articles/{}", a["id"]), &token)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let got = receiver.wait_for(2).await;
    let gone = got[1].json();
    assert_eq!(gone["type"], "article.deleted");
    assert_eq!(gone["data"]["slug"], "nokia-deal");
    assert_eq!(gone["data"]["object"], Value::Null);
    assert!(verify(&secret, &got[1]));
    // Only subscribed events came.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 2);
}

async fn failures_are_retried_then_dead_lettered(app: TestApp) {
    let token = app.admin_token().await;
    // Fails twice, then answers.
    let flaky = Receiver::start(2);
    let hook = create(&app, &token, &flaky.url, json!(["*"])).await;
    let id = hook["id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/admin/webhooks/{id}/ping"),
            &token,
            json!({}),
        )
        .await;
    let queued = json_of(res, StatusCode::ACCEPTED).await;
    assert_eq!(queued["data"]["event"], "webhook.ping");
    let ping = queued["data"]["id"].clone();
    let d = wait_attempt(&app, &token, id, &ping, 1, &Value::Null).await;
    assert_eq!(d["state"], "pending");
    assert_eq!(d["response_status"], 500);
    assert_eq!(d["response_body"], "not now");
    assert!(d["next_attempt_at"].is_string());
    // Nothing more until the back-off has passed.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(flaky.received().len(), 1);
    app.state.clock.advance(chrono::Duration::seconds(10));
    let d = wait_attempt(&app, &token, id, &ping, 2, &d["last_attempt_at"]).await;
    assert_eq!(d["response_status"], 500);
    app.state.clock.advance(chrono::Duration::minutes(10));
    let d = wait_delivery(&app, &token, id, |d| d["state"] == "delivered").await;
    assert_eq!(d["attempts"], 3);
    let got = flaky.received();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "one message id: {got:?}"
    );

    // A receiver that is down all day ends dead-lettered after 8 attempts.
    let down = format!("http://{}/hook", free_local_addr());
    let res = app
        .patch(
            &format!("/api/v1/admin/webhooks/{id}"),
            &token,
            json!({"url": down}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let res = app
        .post(
            &format!("/api/v1/admin/webhooks/{id}/ping"),
            &token,
            json!({}),
        )
        .await;
    let ping = json_of(res, StatusCode::ACCEPTED).await["data"]["id"].clone();
    let mut last = Value::Null;
    for attempt in 1..=8 {
        let d = wait_attempt(&app, &token, id, &ping, attempt, &last).await;
        last = d["last_attempt_at"].clone();
        assert!(d["error"].is_string(), "{d}");
        assert_eq!(d["response_status"], Value::Null);
        app.state.clock.advance(chrono::Duration::hours(11));
    }
    let dead = wait_delivery(&app, &token, id, |d| {
        d["id"] == ping && d["state"] == "failed"
    })
    .await;
    assert_eq!(dead["next_attempt_at"], Value::Null);
    let res = app
        .get_auth(
            &format!("/api/v1/admin/webhooks/{id}/deliveries?state=failed"),
            &token,
        )
        .await;
    let failed = json_of(res, StatusCode::OK).await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    let res = app
        .get_auth(
            &format!("/api/v1/admin/webhooks/{id}/deliveries?state=lost"),
            &token,
        )
        .await;
    assert_eq!(
        problem(res, StatusCode::BAD_REQUEST).await["code"],
        "invalid_state"
    );

    // Redelivered by hand to a receiver that is back: delivered.
    let back = Receiver::start(0);
    let res = app
        .patch(
            &format!("/api/v1/admin/webhooks/{id}"),
            &token,
            json!({"url": back.url}),
        )
        .await;
    json_of(res, StatusCode::OK).await;
    let res = app
        .post(
            &format!("/api/v1/admin/webhooks/{id}/deliveries/{ping}/redeliver"),
            &token,
            json!({}),
        )
        .await;
    let again = json_of(res, StatusCode::ACCEPTED).await;
    assert_eq!(again["data"]["state"], "pending");
    let d = wait_delivery(&app, &token, id, |d| {
        d["id"] == ping && d["state"] == "delivered"
    })
    .await;
    assert_eq!(d["attempts"], 1);
    assert_eq!(back.wait_for(1).await[0].json()["type"], "webhook.ping");

    // The log pages newest first.
    let res = app
        .get_auth(
            &format!("/api/v1/admin/webhooks/{id}/deliveries?limit=1"),
            &token,
        )
        .await;
    let page = json_of(res, StatusCode::OK).await;
    assert_eq!(page["data"][0]["id"], ping);
    let next = page["meta"]["pagination"]["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let res = app
        .get_auth(
            &format!("/api/v1/admin/webhooks/{id}/deliveries?limit=1&cursor={next}"),
            &token,
        )
        .await;
    let older = json_of(res, StatusCode::OK).await;
    assert!(older["data"][0]["id"].as_i64() < ping.as_i64());
}

async fn secrets_rotate_and_pings_are_signed(app: TestApp) {
    let token = app.admin_token().await;
    let receiver = Receiver::start(0);
    let hook = create(&app, &token, &receiver.url, json!(["topic.*"])).await;
    let id = hook["id"].as_i64().unwrap();
    let old = hook["secret"].as_str().unwrap().to_owned();
    let res = app
        .post(
            &format!("/api/v1/admin/webhooks/{id}/secret"),
            &token,
            json!({}),
        )
        .await;
    let rotated = json_of(res, StatusCode::OK).await;
    let new = rotated["data"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    let res = app
        .post(
            &format!("/api/v1/admin/webhooks/{id}/ping"),
            &token,
            json!({}),
        )
        .await;
    json_of(res, StatusCode::ACCEPTED).await;
    let got = receiver.wait_for(1).await;
    assert!(verify(&new, &got[0]));
    assert!(!verify(&old, &got[0]));
    assert_eq!(got[0].json()["data"]["webhook_id"], id);

    // Made inactive, it is inactive from its first version.
    let res = app
        .post(
            "/api/v1/admin/webhooks",
            &token,
            json!({"url": receiver.url, "events": ["*"], "active": false}),
        )
        .await;
    let off = json_of(res, StatusCode::CREATED).await;
    assert_eq!(off["data"]["active"], false);
    assert_eq!(off["data"]["version"], 1);

    // An inactive webhook hears nothing.
    let res = app
        .patch(
            &format!("/api/v1/admin/webhooks/{id}"),
            &token,
            json!({"active": false}),
        )
        .await;
    assert_eq!(json_of(res, StatusCode::OK).await["data"]["active"], false);
    topic(&app, &token, "Nokia", None).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1);
    let res = app
        .delete(&format!("/api/v1/admin/webhooks/{id}"), &token)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .get_auth(&format!("/api/v1/admin/webhooks/{id}"), &token)
        .await;
    problem(res, StatusCode::NOT_FOUND).await;
}

async fn two_instances_deliver_each_event_once(app: TestApp) {
    let other = app.second_instance_with(allow_private).await;
    let token = app.admin_token().await;
    let receiver = Receiver::start(0);
    create(&app, &token, &receiver.url, json!(["article.published"])).await;
    for i in 0..8 {
        let a = draft(&other, &token, &format!("Story {i}"), json!({})).await;
        publish(&other, &token, a["id"].as_i64().unwrap(), None).await;
    }
    receiver.wait_for(8).await;
    // Time for a duplicate to arrive, if one were sent.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        *by_id.entry(r.id).or_default() += 1;
    }
    assert_eq!(by_id.len(), 8, "{by_id:?}");
    assert!(by_id.values().all(|n| *n == 1), "{by_id:?}");
}

crate::backend_tests!(
    settings: super::allow_private;
    signed_deliveries_follow_public_changes,
    failures_are_retried_then_dead_lettered,
    secrets_rotate_and_pings_are_signed,
    two_instances_deliver_each_event_once
);

/// Without `HEADLINE_WEBHOOK_ALLOW_PRIVATE`, targets that resolve to loopback, private,
/// link-local or metadata addresses are refused; only admins manage webhooks.
#[actix_web::test]
async fn private_targets_are_refused() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    let token = app.admin_token().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://localhost:9/hook",
        "ftp://example.com/hook",
    ] {
        let res = app
            .post(
                "/api/v1/admin/webhooks",
                &token,
                json!({"url": url, "events": ["*"]}),
            )
            .await;
        let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
    }
    let res = app
        .post(
            "/api/v1/admin/webhooks",
            &token,
            json!({"url": "https://example.com/", "events": ["article.exploded"]}),
        )
        .await;
    let body = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "events[0]");
    let (editor_token, _) = editor(&app).await;
    let res = app.get_auth("/api/v1/admin/webhooks", &editor_token).await;
    problem(res, StatusCode::FORBIDDEN).await;
}
