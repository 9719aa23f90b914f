//! The test app: the real server on a random port over a fresh database, and a client for it.
//!
//! SQLite tests get a new file in a temporary directory. PostgreSQL tests (when
//! `TEST_DATABASE_URL` is set) get a new schema, dropped when the test ends.

use std::net::TcpListener;
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use headline::config::Settings;
use headline::startup::{self, AppState};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Drops the per-test PostgreSQL schema.
pub struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub backend: Backend,
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<PgSchema>,
    /// PostgreSQL instances' search indexes (a SQLite one lives beside its file).
    _search_dir: Option<tempfile::TempDir>,
}

fn unique_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        rand::random::<u32>()
    )
}

/// An address on 127.0.0.1 with a port free now, for a server binary the test starts itself.
pub fn free_local_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("127.0.0.1:{port}")
}

/// A fresh database URL for `backend`, or `None` when PostgreSQL is not configured (outside CI).
pub fn fresh_database(
    backend: Backend,
) -> Option<(String, Option<tempfile::TempDir>, Option<PgSchema>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir
                .path()
                .join("headline.db")
                .to_string_lossy()
                .into_owned();
            Some((url, Some(dir), None))
        }
        Backend::Postgres => {
            let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but TEST_DATABASE_URL is not: PostgreSQL tests must run in CI"
                );
                return None;
            };
            let schema = unique_name();
            let mut conn = PgConnection::establish(&base).expect("connect to TEST_DATABASE_URL");
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .expect("create schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
            Some((
                url,
                None,
                Some(PgSchema {
                    admin_url: base,
                    schema,
                }),
            ))
        }
    }
}

/// Settings for a test server: fixed secret, no demo, one worker.
pub fn test_settings(url: &str) -> Settings {
    let mut settings = Settings::for_database(url);
    settings.jwt_secret = Some(JWT_SECRET.into());
    // Every test logs in from 127.0.0.1: the per-address limit is tested where it is set.
    settings.login_rate_per_address = 10_000;
    settings
}

/// On PostgreSQL, a search index directory of the instance's own, as each instance of a
/// deployment has (the default, in the working directory, would be shared by every test).
fn own_search_dir(settings: &mut Settings, backend: Backend) -> Option<tempfile::TempDir> {
    if backend != Backend::Postgres {
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    settings.search_dir = Some(dir.path().to_owned());
    Some(dir)
}

impl TestApp {
    /// Spawns the app, or `None` when the backend is not available here.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let (database_url, dir, schema) = fresh_database(backend)?;
        let mut settings = test_settings(&database_url);
        let search_dir = own_search_dir(&mut settings, backend);
        tweak(&mut settings);
        let state = startup::prepare(settings).expect("app starts");
        let mut app = Self::serve(state, backend, database_url, dir, schema);
        app._search_dir = search_dir;
        Some(app)
    }

    fn serve(
        state: Arc<AppState>,
        backend: Backend,
        database_url: String,
        dir: Option<tempfile::TempDir>,
        schema: Option<PgSchema>,
    ) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
        let port = listener.local_addr().expect("address").port();
        let server = startup::run(listener, state.clone()).expect("server");
        actix_web::rt::spawn(server);
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            state,
            backend,
            database_url,
            _dir: dir,
            _schema: schema,
            _search_dir: None,
        }
    }

    /// A second app instance over the same database (for multi-instance tests).
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(|_| {}).await
    }

    /// A second instance with its own tweaks to the test settings.
    pub async fn second_instance_with(&self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = test_settings(&self.database_url);
        let search_dir = own_search_dir(&mut settings, self.backend);
        tweak(&mut settings);
        let state = startup::prepare(settings).expect("second instance starts");
        let mut app = Self::serve(state, self.backend, self.database_url.clone(), None, None);
        app._search_dir = search_dir;
        app
    }

    /// A second instance that, like the first, generates no secret of its own.
    pub async fn second_instance_without_secret(&self) -> TestApp {
        self.second_instance_with(|s| s.jwt_secret = None).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// Creates a user directly in the database and logs in over HTTP; returns the access token.
    pub async fn user_token(&self, email: &str, role: &str, author_id: Option<i64>) -> String {
        let role = headline::auth::Role::parse(role).expect("role");
        let email_owned = email.to_owned();
        self.state
            .db
            .write(move |conn| {
                headline::auth::create_user(conn, &email_owned, PASSWORD, role, author_id)
            })
            .await
            .expect("create user");
        self.login(email).await["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub async fn login(&self, email: &str) -> Value {
        let res = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        res.json().await.expect("json")
    }

    pub async fn admin_token(&self) -> String {
        self.user_token("admin@headline.test", "admin", None).await
    }
}

/// Asserts the status and returns the JSON body.
pub async fn json_of(res: Response, status: StatusCode) -> Value {
    let actual = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Asserts a problem+json response with `status` and returns it.
pub async fn problem(res: Response, status: StatusCode) -> Value {
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = json_of(res, status).await;
    assert_eq!(
        content_type, "application/problem+json",
        "problem content type; body: {body}"
    );
    assert_eq!(body["status"], status.as_u16(), "problem status");
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// Generates `sqlite` and `postgres` test modules calling each named `async fn(TestApp)`;
/// `settings: f;` first spawns each app with `f(&mut Settings)` applied.
#[macro_export]
macro_rules! backend_tests {
    (settings: $tweak:expr; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, $tweak)
                        .await
                        .expect("sqlite is always available");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[cfg_attr(not(postgres_tests), ignore = "set TEST_DATABASE_URL to run the PostgreSQL half")]
                async fn $name() {
                    match $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Postgres, $tweak).await {
                        Some(app) => super::$name(app).await,
                        None => eprintln!("skipped: TEST_DATABASE_URL is not set"),
                    }
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::backend_tests!(settings: |_| {}; $($name),*);
    };
}
