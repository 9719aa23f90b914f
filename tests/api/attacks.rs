//! The hardening issue's races, replayed on both backends: what concurrent editors did to
//! PostgreSQL (deadlocks answered 500, spurious 409s, slug collisions, no admin left), each
//! asserted as it must behave now. The input attacks (NUL, extreme dates, deep markdown, large
//! auth bodies, ended sessions) are in `errors`, `admin_articles` and `auth`.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

use crate::factories::{author, draft, editor, topic};
use crate::helpers::{TestApp, json_of};

/// Articles whose topics and bylines are listed in opposite orders, published and unpublished
/// all at once: the counts' rows used to be locked in opposite orders (37 of 96 answered 500).
async fn opposite_order_publishes_never_fail(app: TestApp) {
    let (token, andy) = editor(&app).await;
    let other = author(&app, &token, "Drew Prindle").await;
    let (xiaomi, nokia) = (
        topic(&app, &token, "Xiaomi", None).await,
        topic(&app, &token, "Nokia", None).await,
    );
    let mut ids = Vec::new();
    for i in 0..8 {
        let (topics, authors) = if i % 2 == 0 {
            ([xiaomi, nokia], [andy, other])
        } else {
            ([nokia, xiaomi], [other, andy])
        };
        let article = draft(
            &app,
            &token,
            &format!("Story {i}"),
            json!({"topic_ids": topics, "author_ids": authors}),
        )
        .await;
        ids.push(article["id"].as_i64().unwrap());
    }
    for _ in 0..3 {
        for action in ["publish", "unpublish"] {
            let calls = ids.iter().map(|id| {
                let (app, token) = (&app, &token);
                async move {
                    app.post(
                        &format!("/api/v1/admin/articles/{id}/{action}"),
                        token,
                        json!({}),
                    )
                    .await
                }
            });
            let statuses: Vec<StatusCode> =
                join_all(calls).await.iter().map(|r| r.status()).collect();
            assert!(
                statuses.iter().all(|s| *s == StatusCode::OK),
                "{action}: {statuses:?}"
            );
        }
    }
}

/// Edits without a precondition all apply, one after another; creates with one title each get
/// a free slug.
async fn concurrent_writes_take_turns(app: TestApp) {
    let (token, _) = editor(&app).await;
    let article = draft(&app, &token, "Contended", json!({})).await;
    let id = article["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/articles/{id}");
    let edits = (0..10).map(|i| app.patch(&path, &token, json!({"subtitle": format!("edit {i}")})));
    let statuses: Vec<StatusCode> = join_all(edits).await.iter().map(|r| r.status()).collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let now = json_of(
        app.get_auth(&format!("/api/v1/admin/articles/{id}"), &token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(now["data"]["version"], 11);

    let creates = (0..8).map(|_| {
        app.post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Xiaomi 12S Ultra review"}),
        )
    });
    let mut slugs = Vec::new();
    for res in join_all(creates).await {
        let body = json_of(res, StatusCode::CREATED).await;
        slugs.push(body["data"]["slug"].as_str().unwrap().to_owned());
    }
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 8, "{slugs:?}");
}

/// Two admins demoting each other at once: one may win, never both.
async fn concurrent_demotions_leave_an_admin(app: TestApp) {
    for round in 0..4 {
        let (a, b) = (
            format!("a{round}@headline.test"),
            format!("b{round}@headline.test"),
        );
        let (token_a, token_b) = (
            app.user_token(&a, "admin", None).await,
            app.user_token(&b, "admin", None).await,
        );
        // Every other admin (from earlier rounds) steps aside first.
        let ids = app
            .state
            .db
            .write(move |conn| {
                use diesel::prelude::*;
                use headline::db::schema::users;
                diesel::update(users::table.filter(users::email.ne_all([a.clone(), b.clone()])))
                    .set(users::role.eq("editor"))
                    .execute(conn)?;
                let id_of = |conn: &mut headline::db::AnyConnection, email: &str| {
                    users::table
                        .filter(users::email.eq(email))
                        .select(users::id)
                        .first::<i64>(conn)
                };
                Ok((id_of(conn, &a)?, id_of(conn, &b)?))
            })
            .await
            .unwrap();
        let demote = |token: String, id: i64| {
            let app = &app;
            async move {
                app.patch(
                    &format!("/api/v1/admin/users/{id}"),
                    &token,
                    json!({"role": "editor"}),
                )
                .await
            }
        };
        let (first, second) = futures_util::join!(demote(token_a, ids.1), demote(token_b, ids.0));
        let statuses = [first.status(), second.status()];
        assert!(
            statuses.iter().all(|s| !s.is_server_error()),
            "{statuses:?}"
        );
        let admins = app
            .state
            .db
            .run(|conn| Ok(headline::models::users::count_active_admins(conn)?))
            .await
            .unwrap();
        assert_eq!(admins, 1, "round {round}: {statuses:?}");
    }
}

crate::backend_tests!(
    opposite_order_publishes_never_fail,
    concurrent_writes_take_turns,
    concurrent_demotions_leave_an_admin,
);
