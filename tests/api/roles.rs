//! The role × route matrix: every write route, tried by every role, against its own content and
//! someone else's. The expected statuses are the contract's role table.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::factories::{author, draft, publish, topic};
use crate::helpers::{TestApp, json_of};

const ROLES: [&str; 4] = ["admin", "editor", "author", "contributor"];

#[derive(Debug, Clone, Copy)]
enum Target {
    None,
    OwnDraft,
    OwnPublished,
    OthersDraft,
    Topic,
    OwnAuthor,
    OtherAuthor,
    List,
    OtherUser,
}

/// (what, method, path with `{id}`, body, target, expected status for admin, editor, author, contributor)
type Case = (&'static str, Method, &'static str, Value, Target, [u16; 4]);

fn cases() -> Vec<Case> {
    use Target::*;
    vec![
        (
            "list articles",
            Method::GET,
            "/api/v1/admin/articles",
            Value::Null,
            None,
            [200, 200, 200, 200],
        ),
        (
            "read an article",
            Method::GET,
            "/api/v1/admin/articles/{id}",
            Value::Null,
            OthersDraft,
            [200, 200, 200, 200],
        ),
        (
            "create an article",
            Method::POST,
            "/api/v1/admin/articles",
            json!({"title": "New"}),
            None,
            [201, 201, 201, 201],
        ),
        (
            "edit own draft",
            Method::PATCH,
            "/api/v1/admin/articles/{id}",
            json!({"title": "E"}),
            OwnDraft,
            [200, 200, 200, 200],
        ),
        (
            "edit own published",
            Method::PATCH,
            "/api/v1/admin/articles/{id}",
            json!({"title": "E"}),
            OwnPublished,
            [200, 200, 200, 403],
        ),
        (
            "edit others' draft",
            Method::PATCH,
            "/api/v1/admin/articles/{id}",
            json!({"title": "E"}),
            OthersDraft,
            [200, 200, 403, 403],
        ),
        (
            "publish own draft",
            Method::POST,
            "/api/v1/admin/articles/{id}/publish",
            json!({}),
            OwnDraft,
            [200, 200, 200, 403],
        ),
        (
            "publish others' draft",
            Method::POST,
            "/api/v1/admin/articles/{id}/publish",
            json!({}),
            OthersDraft,
            [200, 200, 403, 403],
        ),
        (
            "unpublish own",
            Method::POST,
            "/api/v1/admin/articles/{id}/unpublish",
            json!({}),
            OwnPublished,
            [200, 200, 200, 403],
        ),
        (
            "restore own draft",
            Method::POST,
            "/api/v1/admin/articles/{id}/revisions/1/restore",
            json!({}),
            OwnDraft,
            [200, 200, 200, 200],
        ),
        (
            "history of others'",
            Method::GET,
            "/api/v1/admin/articles/{id}/revisions",
            Value::Null,
            OthersDraft,
            [200, 200, 200, 200],
        ),
        (
            "delete own draft",
            Method::DELETE,
            "/api/v1/admin/articles/{id}",
            Value::Null,
            OwnDraft,
            [204, 204, 204, 204],
        ),
        (
            "delete own published",
            Method::DELETE,
            "/api/v1/admin/articles/{id}",
            Value::Null,
            OwnPublished,
            [204, 204, 204, 403],
        ),
        (
            "delete others' draft",
            Method::DELETE,
            "/api/v1/admin/articles/{id}",
            Value::Null,
            OthersDraft,
            [204, 204, 403, 403],
        ),
        (
            "create a topic",
            Method::POST,
            "/api/v1/admin/topics",
            json!({"name": "T"}),
            None,
            [201, 201, 403, 403],
        ),
        (
            "edit a topic",
            Method::PATCH,
            "/api/v1/admin/topics/{id}",
            json!({"name": "T2"}),
            Topic,
            [200, 200, 403, 403],
        ),
        (
            "delete a topic",
            Method::DELETE,
            "/api/v1/admin/topics/{id}",
            Value::Null,
            Topic,
            [204, 204, 403, 403],
        ),
        (
            "read topics",
            Method::GET,
            "/api/v1/admin/topics",
            Value::Null,
            None,
            [200, 200, 200, 200],
        ),
        (
            "create an author",
            Method::POST,
            "/api/v1/admin/authors",
            json!({"name": "Au"}),
            None,
            [201, 201, 403, 403],
        ),
        (
            "edit own author profile",
            Method::PATCH,
            "/api/v1/admin/authors/{id}",
            json!({"bio": "Me"}),
            OwnAuthor,
            [200, 200, 200, 200],
        ),
        (
            "edit another author profile",
            Method::PATCH,
            "/api/v1/admin/authors/{id}",
            json!({"bio": "X"}),
            OtherAuthor,
            [200, 200, 403, 403],
        ),
        (
            "delete an author",
            Method::DELETE,
            "/api/v1/admin/authors/{id}",
            Value::Null,
            OtherAuthor,
            [409, 409, 403, 403],
        ),
        (
            "create a list",
            Method::POST,
            "/api/v1/admin/lists",
            json!({"title": "L"}),
            None,
            [201, 201, 403, 403],
        ),
        (
            "replace list items",
            Method::PUT,
            "/api/v1/admin/lists/{id}/items",
            json!({"items": []}),
            List,
            [200, 200, 403, 403],
        ),
        (
            "delete a list",
            Method::DELETE,
            "/api/v1/admin/lists/{id}",
            Value::Null,
            List,
            [204, 204, 403, 403],
        ),
        (
            "list users",
            Method::GET,
            "/api/v1/admin/users",
            Value::Null,
            None,
            [200, 403, 403, 403],
        ),
        (
            "create a user",
            Method::POST,
            "/api/v1/admin/users",
            json!({"email": "n@headline.test", "password": "long enough password", "role": "editor"}),
            None,
            [201, 403, 403, 403],
        ),
        (
            "edit a user",
            Method::PATCH,
            "/api/v1/admin/users/{id}",
            json!({"role": "author"}),
            OtherUser,
            [200, 403, 403, 403],
        ),
        (
            "delete a user",
            Method::DELETE,
            "/api/v1/admin/users/{id}",
            Value::Null,
            OtherUser,
            [204, 403, 403, 403],
        ),
        (
            "who am I",
            Method::GET,
            "/api/v1/admin/me",
            Value::Null,
            None,
            [200, 200, 200, 200],
        ),
    ]
}

struct Fixture {
    admin: String,
    other_author: i64,
}

/// Makes a fresh target for one case, owned as the case says, with the admin's token.
async fn target(
    app: &TestApp,
    fx: &Fixture,
    own_author: i64,
    target: Target,
    n: usize,
) -> Option<i64> {
    let id_of = |v: &Value| v["id"].as_i64();
    match target {
        Target::None => None,
        Target::OwnDraft => id_of(
            &draft(
                app,
                &fx.admin,
                &format!("Own draft {n}"),
                json!({"author_ids": [own_author]}),
            )
            .await,
        ),
        Target::OwnPublished => {
            let d = draft(
                app,
                &fx.admin,
                &format!("Own published {n}"),
                json!({"author_ids": [own_author]}),
            )
            .await;
            id_of(&publish(app, &fx.admin, d["id"].as_i64()?, None).await)
        }
        Target::OthersDraft => id_of(
            &draft(
                app,
                &fx.admin,
                &format!("Others draft {n}"),
                json!({"author_ids": [fx.other_author]}),
            )
            .await,
        ),
        Target::Topic => Some(topic(app, &fx.admin, &format!("Topic {n}"), None).await),
        Target::OwnAuthor => Some(own_author),
        Target::OtherAuthor => Some(fx.other_author),
        Target::List => {
            let res = app
                .post(
                    "/api/v1/admin/lists",
                    &fx.admin,
                    json!({"title": format!("List {n}")}),
                )
                .await;
            json_of(res, StatusCode::CREATED).await["data"]["id"].as_i64()
        }
        Target::OtherUser => {
            let res = app
                .post(
                    "/api/v1/admin/users",
                    &fx.admin,
                    json!({"email": format!("victim{n}@headline.test"), "password": "long enough password", "role": "contributor"}),
                )
                .await;
            json_of(res, StatusCode::CREATED).await["data"]["id"].as_i64()
        }
    }
}

async fn every_role_may_do_exactly_what_the_contract_says(app: TestApp) {
    let admin = app.admin_token().await;
    let other_author = author(&app, &admin, "Someone Else").await;
    // The other author is credited somewhere, so deleting them is a 409 for those allowed to try.
    draft(
        &app,
        &admin,
        "Credited",
        json!({"author_ids": [other_author]}),
    )
    .await;
    let fx = Fixture {
        admin,
        other_author,
    };

    let mut failures = Vec::new();
    let mut n = 0;
    for (r, role) in ROLES.iter().enumerate() {
        let own_author = author(&app, &fx.admin, &format!("{role} writer")).await;
        let token = app
            .user_token(&format!("{role}@roles.test"), role, Some(own_author))
            .await;
        for (what, method, path, body, kind, expected) in cases() {
            n += 1;
            let id = target(&app, &fx, own_author, kind, n).await;
            let path = match id {
                Some(id) => path.replace("{id}", &id.to_string()),
                None => path.to_owned(),
            };
            let mut body = body;
            // Unique names so creates never collide across roles.
            if let Some(obj) = body.as_object_mut() {
                for key in ["title", "name"] {
                    if let Some(Value::String(s)) = obj.get(key) {
                        obj.insert(key.to_owned(), Value::String(format!("{s} {n}")));
                    }
                }
                if obj.contains_key("email") {
                    obj.insert("email".to_owned(), json!(format!("new{n}@headline.test")));
                }
            }
            let body = (!body.is_null()).then_some(body);
            let status = app
                .request(method.clone(), &path, Some(&token), body)
                .await
                .status()
                .as_u16();
            if status != expected[r] {
                failures.push(format!(
                    "{role} {what} ({method} {path}): got {status}, want {}",
                    expected[r]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "role matrix mismatches:\n{}",
        failures.join("\n")
    );
}

async fn authors_and_contributors_must_stay_on_their_own_bylines(app: TestApp) {
    let admin = app.admin_token().await;
    let mine = author(&app, &admin, "Mine").await;
    let other = author(&app, &admin, "Other").await;
    let token = app
        .user_token("c@roles.test", "contributor", Some(mine))
        .await;
    let res = app
        .post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Not mine", "author_ids": [other]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Crediting someone else too: their own byline comes first; an editor orders freely.
    let created = json_of(
        app.post(
            "/api/v1/admin/articles",
            &token,
            json!({"title": "Shared", "author_ids": [other, mine]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let bylines: Vec<i64> = created["data"]["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(bylines, [mine, other]);
    let created = json_of(
        app.post(
            "/api/v1/admin/articles",
            &admin,
            json!({"title": "Edited", "author_ids": [other, mine]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["data"]["authors"][0]["id"], other);
    let unlinked = app.user_token("u@roles.test", "author", None).await;
    let res = app
        .post(
            "/api/v1/admin/articles",
            &unlinked,
            json!({"title": "Orphan"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn the_last_admin_cannot_be_removed_or_demoted(app: TestApp) {
    let admin = app.admin_token().await;
    let me = json_of(
        app.get_auth("/api/v1/admin/me", &admin).await,
        StatusCode::OK,
    )
    .await;
    let id = me["data"]["id"].as_i64().unwrap();
    let res = app
        .patch(
            &format!("/api/v1/admin/users/{id}"),
            &admin,
            json!({"role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app
        .delete(&format!("/api/v1/admin/users/{id}"), &admin)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

crate::backend_tests!(
    every_role_may_do_exactly_what_the_contract_says,
    authors_and_contributors_must_stay_on_their_own_bylines,
    the_last_admin_cannot_be_removed_or_demoted,
);
