//! The schema and the spec: migrations paired and reversible on both backends, and the committed
//! OpenAPI document equal to the one the code serves.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::catalog;
use crate::helpers::{Backend, TestApp, fresh_database, json_of};

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    std::fs::read_dir(dir)
        .expect("migrations directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn migrations_are_paired_across_backends() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(backend)
                    .join(name)
                    .join(file);
                assert!(path.exists(), "{} is missing", path.display());
            }
        }
    }
}

/// Up, down and up again: every down migration undoes its up exactly (the catalogs compared:
/// tables, columns, types, nullability, indexes), and the migrated database is what
/// `src/db/schema.rs` declares.
#[test]
fn migrations_go_up_down_and_up_again_to_the_declared_schema() {
    let declared = catalog::declared();
    assert!(
        declared.len() >= 20,
        "schema.rs parsed: {:?}",
        declared.keys()
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some((url, _dir, _schema)) = fresh_database(backend) else {
            continue;
        };
        let db = headline::db::Db::connect(&url, 1, std::time::Duration::from_secs(10))
            .expect("connect");
        let mut conn = db.get().expect("connection");
        let up = headline::db::migrations::run_pending(&mut conn).expect("up");
        let first = catalog::read(&mut conn);
        let down = headline::db::migrations::revert_all(&mut conn).expect("down");
        assert_eq!(up.len(), down.len(), "{backend:?}");
        assert_eq!(
            catalog::read(&mut conn),
            catalog::Catalog::default(),
            "{backend:?}: left after down"
        );
        let again = headline::db::migrations::run_pending(&mut conn).expect("up again");
        assert_eq!(up, again, "{backend:?}");
        assert_eq!(
            catalog::read(&mut conn),
            first,
            "{backend:?}: up after down differs"
        );
        assert_eq!(
            first.tables, declared,
            "{backend:?}: the database and src/db/schema.rs differ"
        );
    }
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(s) = v.as_str()
                {
                    out.push(s.to_owned());
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_committed_openapi_document_matches_the_code() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let served = json_of(app.get("/openapi.json").await, StatusCode::OK).await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .unwrap_or(Value::Null);
    assert!(
        served == committed,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
    let mut found = Vec::new();
    refs(&served, &mut found);
    for r in found {
        let pointer = r.trim_start_matches('#');
        assert!(served.pointer(pointer).is_some(), "dangling $ref {r}");
    }
    // Every operation documents its responses.
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses
                    .values()
                    .all(|r| r.get("description").is_some() || r.get("$ref").is_some()),
                "{method} {path}"
            );
        }
    }
}

/// Every operation of the document's Admin API, called for real without a token and with a
/// forged one, answers 401 (and says so in its document): no admin route is left open.
#[actix_web::test]
async fn every_admin_operation_refuses_callers_without_a_valid_token() {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let doc = serde_json::to_value(headline::openapi::document()).unwrap();
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    let mut called = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin") {
            continue;
        }
        // Any id will do: the token is checked first.
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().unwrap() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let body = op.get("requestBody").map(|_| json!({}));
            for token in [None, Some(forged)] {
                let res = app
                    .request(method.clone(), &concrete, token, body.clone())
                    .await;
                assert_eq!(
                    res.status(),
                    StatusCode::UNAUTHORIZED,
                    "{method} {concrete} with token {token:?}"
                );
            }
            assert!(op["responses"].get("401").is_some(), "{method} {path}");
            called += 1;
        }
    }
    assert!(called >= 40, "only {called} admin operations");
}

/// Generators name client methods after `operationId`: a missing or repeated one breaks them
/// (Swagger UI opens the wrong operation, typed clients mix up their responses).
#[test]
fn every_operation_has_its_own_operation_id() {
    let doc = serde_json::to_value(headline::openapi::document()).unwrap();
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(
                id.chars().all(|c| c.is_ascii_alphanumeric())
                    && id.starts_with(|c: char| c.is_ascii_lowercase()),
                "{method} {path}: operationId {id:?} is not camelCase"
            );
            assert!(seen.insert(id.to_owned()), "operationId {id} is used twice");
        }
    }
    assert!(seen.len() >= 44, "only {} operations", seen.len());
}

/// Swagger UI's example bodies, mock servers and generated docs show each field's example: a
/// scalar field without one shows `"string"` or `0`. Fields that refer to another schema
/// take that schema's examples.
#[test]
fn every_scalar_field_has_an_example() {
    let doc = serde_json::to_value(headline::openapi::document()).unwrap();
    let mut missing = Vec::new();
    let mut fields = 0;
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let Some(properties) = schema["properties"].as_object() else {
            continue;
        };
        for (field, property) in properties {
            let refers = property.get("$ref").is_some()
                || property.get("oneOf").is_some()
                || property["items"].get("$ref").is_some();
            if refers {
                continue;
            }
            fields += 1;
            if property.get("example").is_none() && property.get("examples").is_none() {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    assert!(missing.is_empty(), "no example: {missing:?}");
    assert!(fields > 150, "only {fields} fields");
}

#[actix_web::test]
async fn instances_sharing_a_database_share_the_generated_signing_secret() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = TestApp::spawn_with(backend, |s| s.jwt_secret = None).await else {
            continue;
        };
        let other = app.second_instance_without_secret().await;
        let token = app.admin_token().await;
        json_of(
            other.get_auth("/api/v1/admin/me", &token).await,
            StatusCode::OK,
        )
        .await;
    }
}
