//! Examples for the fields the code leaves without one, by rule: one newsroom (the Xiaomi and
//! Nokia story of `shared/seed-article.txt`) told the same way in every schema, so that Swagger
//! UI's example bodies, generated clients' docs and mock servers read as one consistent story.
//! A field's own `#[schema(example = …)]` wins; a test fails when a scalar field has neither.

use serde_json::{Value, json};
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{Components, RefOr};

/// What a schema describes, from its name (`AdminTopic`, `CreateList`, `ArticleListItem`…).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Article,
    Author,
    Topic,
    List,
    User,
    Other,
}

fn kind_of(schema: &str) -> Kind {
    if schema.contains("Article") || schema.contains("Revision") || schema.contains("Seo") {
        Kind::Article
    } else if schema.contains("Author") {
        Kind::Author
    } else if schema.contains("Topic") {
        Kind::Topic
    } else if schema.contains("List") {
        Kind::List
    } else if schema.contains("User") || schema.starts_with("Me") {
        Kind::User
    } else {
        Kind::Other
    }
}

/// The example of `field` in a schema describing `kind`, if the rule has one.
fn example(kind: Kind, field: &str) -> Option<Value> {
    let value = match (kind, field) {
        (Kind::Article, "title") => {
            json!("New deal with Nokia may accelerate Xiaomi's stalled global launch plans")
        }
        (Kind::Article, "slug") => {
            json!("new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans")
        }
        (Kind::Author, "name") => json!("Andy Boxall"),
        (Kind::Author, "slug") => json!("andy-boxall"),
        (Kind::Topic, "name") => json!("Xiaomi"),
        (Kind::Topic, "slug") => json!("xiaomi"),
        (Kind::Topic, "description") => json!("Phones, wearables and smart homes from Xiaomi."),
        (Kind::List, "title") => json!("Read more"),
        (Kind::List, "slug") => json!("read-more"),
        (Kind::List, "description") => json!("Hand-picked stories about Xiaomi and Nokia."),
        (Kind::User, "id") => json!(2),
        (_, "title") => json!("Hands-on with the Xiaomi 12 Ultra"),
        (_, "slug") => json!("xiaomi-12-ultra-hands-on"),
        (_, "name") => json!("Xiaomi"),
        (_, "description") => json!("Hand-picked stories about Xiaomi and Nokia."),
        (_, "id") => json!(1),
        (_, "version") => json!(3),
        (_, "created_at") => json!("2026-11-20T08:15:00Z"),
        (_, "updated_at" | "published_at") => json!("2026-11-24T09:30:00Z"),
        (_, "publish_at") => json!("2026-11-25T06:00:00Z"),
        (_, "subtitle") => json!("A patent deal clears the way for Xiaomi phones in Europe"),
        (_, "excerpt") => json!(
            "Xiaomi and Nokia have signed a patent deal that may finally bring Xiaomi's phones \
             to Europe and the US."
        ),
        (_, "excerpt_is_custom") => json!(false),
        (_, "body_markdown") => json!(
            "Xiaomi and **Nokia** have signed a multi-year patent agreement.\n\n\
             > It is a big step for our global plans."
        ),
        (_, "body_html") => json!(
            "<p>Xiaomi and <strong>Nokia</strong> have signed a multi-year patent \
             agreement.</p>\n<blockquote>\n<p>It is a big step for our global plans.</p>\n\
             </blockquote>\n"
        ),
        (_, "reading_time_minutes") => json!(4),
        (_, "alt") => json!("Xiaomi's upcoming 12 Ultra"),
        (_, "caption") => json!("The Xiaomi 12 Ultra at its launch in Beijing"),
        (_, "meta_title") => json!("Xiaomi and Nokia sign a patent deal | Headline"),
        (_, "meta_description") => {
            json!("What the Nokia patent deal means for Xiaomi's launch in Europe and the US.")
        }
        (_, "canonical_url") => json!("https://news.example.com/xiaomi-nokia-patent-deal"),
        (_, "image_url") => json!("https://images.example.com/xiaomi-12-ultra-hands-on.jpg"),
        (_, "avatar_url") => json!("https://images.example.com/andy-boxall.jpg"),
        (_, "website") => json!("https://andyboxall.example.com"),
        (_, "job_title") => json!("Senior Writer"),
        (_, "bio") => {
            json!("Andy has written about phones and the people who make them since 2004.")
        }
        (_, "social") => json!({"twitter": "https://twitter.com/andyboxall"}),
        (_, "author_id" | "related_list_id") => json!(1),
        (_, "user_id" | "created_by") => json!(2),
        (_, "parent_id") => json!(4),
        (_, "author_ids") => json!([1]),
        (_, "topic_ids") => json!([1, 2]),
        (_, "email") => json!("andy@headline.test"),
        (_, "password") => json!("correct horse battery staple"),
        (_, "disabled") => json!(false),
        (_, "access_token") => json!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIyIiwicm9sZSI6ImVkaXRvciJ9.\
             c2lnbmF0dXJlLW9mLXRoZS1zZXJ2ZXI"
        ),
        (_, "refresh_token") => {
            json!("2b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfe")
        }
        (_, "next_cursor") => json!("eyJrIjpbIjIwMjYtMTEtMjRUMDk6MzA6MDBaIiwxXX0"),
        (_, "total") => json!(1342),
        (_, "database") => json!("sqlite"),
        (_, "type") => json!("urn:headline:problem:not_found"),
        (_, "status") => json!(404),
        (_, "detail") => json!("article not found"),
        (_, "code") => json!("not_found"),
        (_, "payload") => json!({
            "type": "article.published",
            "timestamp": "2026-11-24T09:30:00Z",
            "data": {"seq": 1043, "entity": "article", "id": 1,
                     "slug": "xiaomi-12-ultra-hands-on", "previous_slug": null,
                     "object": {"id": 1, "title": "Hands-on with the Xiaomi 12 Ultra"}}
        }),
        _ => return None,
    };
    Some(value)
}

/// Gives every property of every component schema without an example the rule's example.
/// Properties that refer to another schema (or combine several) are left alone: the schema
/// they refer to carries the examples.
pub fn fill(components: &mut Components) {
    for (name, schema) in components.schemas.iter_mut() {
        let kind = kind_of(name);
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for (field, property) in object.properties.iter_mut() {
            let (example_field, examples) = match property {
                RefOr::T(Schema::Object(o)) => (&o.example, &mut o.examples),
                RefOr::T(Schema::Array(a)) if !refers(&a.items) => (&a.example, &mut a.examples),
                _ => continue,
            };
            let has_own = example_field.is_some() || !examples.is_empty();
            if let (false, Some(value)) = (has_own, example(kind, field)) {
                examples.push(value);
            }
        }
    }
}

/// Whether an array's items refer to another schema (whose examples then stand).
fn refers(items: &ArrayItems) -> bool {
    matches!(items, ArrayItems::RefOrSchema(s) if matches!(**s, RefOr::Ref(_)))
}
