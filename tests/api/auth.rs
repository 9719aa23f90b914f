//! Login, refresh rotation and reuse detection, logout, and strict token verification.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use futures_util::future::join_all;

use crate::helpers::{Backend, JWT_SECRET, PASSWORD, TestApp, json_of, problem};

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

async fn login_issues_tokens_and_me_describes_the_caller(app: TestApp) {
    let token = app.admin_token().await;
    let me = json_of(
        app.get_auth("/api/v1/admin/me", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["data"]["email"], "admin@headline.test");
    assert_eq!(me["data"]["role"], "admin");
    let pair = app.login("admin@headline.test").await;
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert!(pair["refresh_token"].as_str().unwrap().len() >= 32);

    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "admin@headline.test", "password": "wrong password!"})),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "nobody@headline.test", "password": PASSWORD})),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
}

async fn a_linked_user_shows_on_its_author_and_me_shows_the_author(app: TestApp) {
    let (token, author_id) = crate::factories::editor(&app).await;
    let me = json_of(
        app.get_auth("/api/v1/admin/me", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["data"]["author"]["id"], author_id);
    let author = json_of(
        app.get_auth(&format!("/api/v1/admin/authors/{author_id}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(author["data"]["user_id"], me["data"]["id"]);
    let list = json_of(
        app.get_auth("/api/v1/admin/authors", &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["data"][0]["user_id"], me["data"]["id"]);
}

async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_login(app: TestApp) {
    app.admin_token().await;
    let first = app.login("admin@headline.test").await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let second: Value = json_of(refresh(&app, &r1).await, StatusCode::OK).await;
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    json_of(
        app.get_auth("/api/v1/admin/me", second["access_token"].as_str().unwrap())
            .await,
        StatusCode::OK,
    )
    .await;

    // r1 again: a thief or a replay. It fails, and so does everything issued after it.
    problem(refresh(&app, &r1).await, StatusCode::UNAUTHORIZED).await;
    problem(refresh(&app, &r2).await, StatusCode::UNAUTHORIZED).await;

    // Another login is unaffected by the revoked family, until it logs out.
    let other = app.login("admin@headline.test").await;
    let r3 = other["refresh_token"].as_str().unwrap().to_owned();
    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": r3})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(refresh(&app, &r3).await, StatusCode::UNAUTHORIZED).await;
    problem(refresh(&app, "not-a-token").await, StatusCode::UNAUTHORIZED).await;
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get_auth("/api/v1/admin/me", token).await.status()
}

/// Logout, a reused refresh token and a password change end the user's access tokens at once,
/// on every instance, though they have not expired; a new login works.
async fn ended_sessions_end_their_access_tokens_everywhere(app: TestApp) {
    app.user_token("ed@headline.test", "editor", None).await;
    let second = app.second_instance().await;
    let login = || async {
        let pair = app.login("ed@headline.test").await;
        (
            pair["access_token"].as_str().unwrap().to_owned(),
            pair["refresh_token"].as_str().unwrap().to_owned(),
        )
    };
    let logout = |refresh_token: String| {
        app.request(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({ "refresh_token": refresh_token })),
        )
    };

    // Logout.
    let (access, refresh_token) = login().await;
    assert_eq!(me(&second, &access).await, StatusCode::OK);
    assert_eq!(logout(refresh_token).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&second, &access).await, StatusCode::UNAUTHORIZED);

    // A refresh token used twice: the login is revoked, its access tokens too.
    let (_, r1) = login().await;
    let rotated: Value = json_of(refresh(&app, &r1).await, StatusCode::OK).await;
    let access = rotated["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&second, &access).await, StatusCode::OK);
    problem(refresh(&app, &r1).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(me(&second, &access).await, StatusCode::UNAUTHORIZED);

    // A password change.
    let (access, _) = login().await;
    app.state
        .db
        .write(|conn| {
            headline::auth::set_password(conn, "ed@headline.test", "a brand new passphrase")
        })
        .await
        .unwrap();
    let body = problem(
        app.get_auth("/api/v1/admin/me", &access).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("session has ended")
    );
    assert_eq!(me(&second, &access).await, StatusCode::UNAUTHORIZED);
}

fn claims(overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"sub": "1", "iss": "headline", "aud": "headline-admin", "iat": now, "exp": now + 600, "gen": 0});
    for (k, v) in overrides.as_object().unwrap() {
        claims[k] = v.clone();
    }
    claims
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn tokens_are_verified_strictly(app: TestApp) {
    app.admin_token().await;
    let good = sign(&claims(json!({})), JWT_SECRET);
    json_of(
        app.get_auth("/api/v1/admin/me", &good).await,
        StatusCode::OK,
    )
    .await;

    let now = chrono::Utc::now().timestamp();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(json!({})).to_string())
    );
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &claims(json!({})),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let bad = [
        (
            "wrong signature",
            sign(&claims(json!({})), "another-secret-that-is-32-bytes-long!!"),
        ),
        ("alg none", unsigned),
        ("another algorithm", hs512),
        (
            "expired",
            sign(
                &claims(json!({"iat": now - 7200, "exp": now - 3600})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong issuer",
            sign(&claims(json!({"iss": "someone-else"})), JWT_SECRET),
        ),
        (
            "wrong audience",
            sign(&claims(json!({"aud": "frontend"})), JWT_SECRET),
        ),
        (
            "unknown user",
            sign(&claims(json!({"sub": "999"})), JWT_SECRET),
        ),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (what, token) in bad {
        let res = app.get_auth("/api/v1/admin/me", &token).await;
        assert_eq!(
            res.headers()["www-authenticate"],
            "Bearer realm=\"headline\"",
            "{what}"
        );
        problem(res, StatusCode::UNAUTHORIZED).await;
    }
    let res = app.get("/api/v1/admin/me").await;
    problem(res, StatusCode::UNAUTHORIZED).await;
    let res = app
        .client
        .get(app.url("/api/v1/admin/me"))
        .header("Authorization", format!("Basic {good}"))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNAUTHORIZED).await;
}

async fn disabling_a_user_locks_them_out_at_once(app: TestApp) {
    let admin = app.admin_token().await;
    let editor = app.user_token("ed@headline.test", "editor", None).await;
    let pair = app.login("ed@headline.test").await;
    let me = json_of(
        app.get_auth("/api/v1/admin/me", &editor).await,
        StatusCode::OK,
    )
    .await;
    let id = me["data"]["id"].as_i64().unwrap();
    json_of(
        app.patch(
            &format!("/api/v1/admin/users/{id}"),
            &admin,
            json!({"disabled": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    problem(
        app.get_auth("/api/v1/admin/me", &editor).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        refresh(&app, pair["refresh_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let res = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ed@headline.test", "password": PASSWORD})),
        )
        .await;
    problem(res, StatusCode::UNAUTHORIZED).await;
}

async fn repeated_failed_logins_are_rate_limited(app: TestApp) {
    // An account no one has logged in to from here yet.
    app.state
        .db
        .write(|conn| {
            headline::auth::create_user(
                conn,
                "ed@headline.test",
                PASSWORD,
                headline::auth::Role::Editor,
                None,
            )
        })
        .await
        .unwrap();
    let attempt = || {
        app.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ed@headline.test", "password": "definitely wrong"})),
        )
    };
    // A burst: every attempt takes its turn before the password is checked, so no more than
    // the limit (10 a minute) are checked.
    let burst = join_all((0..40).map(|_| attempt())).await;
    let checked = burst
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    let limited: Vec<_> = burst
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!((checked, limited.len()), (10, 30));
    assert!(
        limited
            .iter()
            .all(|r| r.headers().contains_key("retry-after"))
    );
}

async fn login_limits_follow_the_client_behind_trusted_proxies() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| {
            s.trusted_proxies = "127.0.0.1".to_owned();
            s.login_rate_per_address = 5;
        })
        .await
        else {
            continue;
        };
        app.user_token("ed@headline.test", "editor", None).await;
        let from = |address: &'static str, password: &'static str| {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"email": "ed@headline.test", "password": password}))
                .header("X-Forwarded-For", address)
                .send()
        };
        // The owner logs in from home; an attacker fails from elsewhere until limited.
        assert_eq!(
            from("198.51.100.7", PASSWORD).await.unwrap().status(),
            StatusCode::OK
        );
        for _ in 0..5 {
            let res = from("203.0.113.9", "wrong").await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        let res = from("203.0.113.9", "wrong").await.unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        // Each proxied client has its own allowance, and the owner's home still works.
        assert_eq!(
            from("203.0.113.10", "wrong").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            from("198.51.100.7", PASSWORD).await.unwrap().status(),
            StatusCode::OK
        );
    }
}

#[actix_web::test]
async fn login_limits_are_kept_per_client_address() {
    login_limits_follow_the_client_behind_trusted_proxies().await;
    // Without trusted proxies the header is anyone's to write: the peer is the client.
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.login_rate_per_address = 3)
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": format!("user{i}@headline.test"), "password": "wrong"}))
            .header("X-Forwarded-For", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

/// `headline user set-password` (through the function it calls): the new password logs in,
/// the old one no longer does, and the user's refresh tokens are revoked.
async fn setting_a_password_replaces_it_and_ends_logins(app: TestApp) {
    app.user_token("ed@headline.test", "editor", None).await;
    let refresh_token = app.login("ed@headline.test").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.state
        .db
        .write(|conn| {
            headline::auth::set_password(conn, " Ed@Headline.test ", "a brand new passphrase")
        })
        .await
        .unwrap();
    let login = |password: &'static str| {
        app.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "ed@headline.test", "password": password})),
        )
    };
    assert_eq!(login(PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        login("a brand new passphrase").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        refresh(&app, &refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Too short, or no such user: refused, nothing changed.
    let short = app
        .state
        .db
        .write(|conn| headline::auth::set_password(conn, "ed@headline.test", "short"))
        .await;
    assert!(matches!(
        short,
        Err(headline::error::AppError::Validation(_))
    ));
    let nobody = app
        .state
        .db
        .write(|conn| {
            headline::auth::set_password(conn, "nobody@headline.test", "long enough pass")
        })
        .await;
    assert!(matches!(
        nobody,
        Err(headline::error::AppError::NotFound(_))
    ));
}

crate::backend_tests!(
    setting_a_password_replaces_it_and_ends_logins,
    login_issues_tokens_and_me_describes_the_caller,
    a_linked_user_shows_on_its_author_and_me_shows_the_author,
    refresh_tokens_rotate_and_a_reused_one_revokes_the_login,
    tokens_are_verified_strictly,
    disabling_a_user_locks_them_out_at_once,
    ended_sessions_end_their_access_tokens_everywhere,
    repeated_failed_logins_are_rate_limited,
);
