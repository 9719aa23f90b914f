//! The OpenAPI document: info, tags, the bearer scheme, and the error responses every operation
//! shares. Paths come from the handlers (`#[utoipa::path]`, collected by utoipa-actix-web); the
//! shared errors are added here by rule, once, instead of being pasted into every handler.
//!
//! `cargo run -- openapi > openapi/openapi.json` rewrites the committed copy.

mod examples;

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::Required;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_actix_web::AppExt;

use crate::error::{AppError, FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Headline API",
        version = "1.0.0",
        description = "Headline is a headless CMS for newsrooms. The **Content API** (`/api/v1/…`) serves published content to frontends: public, cacheable (strong ETags, `If-None-Match` → 304), never a draft. The **Admin API** (`/api/v1/admin/…`) is for editors: log in at `/api/v1/auth/login`, then send `Authorization: Bearer <access_token>`.\n\nEnvelope: `{\"data\": …}` for one resource; `{\"data\": […], \"meta\": {\"pagination\": {\"limit\", \"next_cursor\", \"total\"?}}}` for collections. Errors are RFC 9457 `application/problem+json`. Unknown query parameters and JSON fields are rejected with 400.\n\nA server run with `HEADLINE_CONTENT_API=key` serves the Content API only to callers with a content API key (`Authorization: Bearer hlk_…` or `?key=hlk_…`; 401 without one, 429 past its rate); by default it is public.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "Content", description = "Public, read-only, cacheable: published content only."),
        (name = "Auth", description = "Log in, refresh and log out. Refresh tokens rotate; a reused one revokes its whole login."),
        (name = "Admin", description = "The authenticated caller."),
        (name = "Admin: articles", description = "Articles of every status: write, publish, schedule, history."),
        (name = "Admin: authors", description = "Author profiles."),
        (name = "Admin: topics", description = "Topics and their nesting."),
        (name = "Admin: lists", description = "Curated related-content lists."),
        (name = "Admin: users", description = "Staff accounts (admins only)."),
        (name = "Admin: audit log", description = "Who did what to which entity, when, from which request: logins, failed logins, logouts and every Admin API write (admins only)."),
        (name = "Admin: content keys", description = "Keys for Content API consumers, required when the server runs with `HEADLINE_CONTENT_API=key` (admins only). A key is shown once, stored as a digest, rate-limited per key."),
        (name = "Admin: webhooks", description = "Signed pushes of public changes to your URLs, with retries and a delivery log (admins only). Deliveries follow Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 of `id.timestamp.body`)."),
        (name = "Operations", description = "Health and readiness probes."),
    ),
    servers((url = "/", description = "The server that serves this document")),
    components(schemas(Problem, FieldError)),
)]
pub struct ApiDoc;

/// A shared error response, registered under `components/responses`, with an example made by
/// the same code that answers it.
struct SharedError {
    status: &'static str,
    name: &'static str,
    description: &'static str,
    example: fn() -> AppError,
    /// Whether the response carries `Retry-After`.
    retry_after: bool,
}

const ERRORS: [SharedError; 11] = [
    SharedError {
        status: "400",
        name: "BadRequest",
        description: "Malformed request: bad JSON, unknown field or query parameter, bad cursor, limit over 100, an `If-Match` that is not `*` or entity-tags",
        example: || {
            AppError::bad_request(
                "unknown_parameter",
                "unknown query parameter `lmit`; expected one of: limit, cursor, sort, topic, author, fields, include",
            )
        },
        retry_after: false,
    },
    SharedError {
        status: "401",
        name: "Unauthorized",
        description: "Missing, invalid or expired bearer token (on the Content API: a missing, unknown or revoked content API key, when the server requires keys)",
        example: || AppError::Unauthorized("the access token has expired".to_owned()),
        retry_after: false,
    },
    SharedError {
        status: "403",
        name: "Forbidden",
        description: "The caller's role or ownership does not allow this",
        example: || AppError::Forbidden("contributors can edit only their own drafts".to_owned()),
        retry_after: false,
    },
    SharedError {
        status: "404",
        name: "NotFound",
        description: "No such resource (drafts are not found on the Content API)",
        example: || AppError::not_found("article"),
        retry_after: false,
    },
    SharedError {
        status: "409",
        name: "Conflict",
        description: "Duplicate slug or e-mail, stale `version`, or a resource still in use",
        example: || AppError::conflict("already_exists", "slug is already taken", Some("slug")),
        retry_after: false,
    },
    SharedError {
        status: "412",
        name: "PreconditionFailed",
        description: "`If-Match` does not match the current version",
        example: || {
            AppError::PreconditionFailed(
                "the resource is at version 4; If-Match named \"v3\"".to_owned(),
            )
        },
        retry_after: false,
    },
    SharedError {
        status: "413",
        name: "PayloadTooLarge",
        description: "Request body over its limit: 64 KiB for logins, tokens, users, topics, authors and publishing; `HEADLINE_BODY_LIMIT` (10 MiB) for articles and lists",
        example: || AppError::PayloadTooLarge("request body over 1048576 bytes".to_owned()),
        retry_after: false,
    },
    SharedError {
        status: "415",
        name: "UnsupportedMediaType",
        description: "Request body is not `application/json`",
        example: || AppError::UnsupportedMediaType("expected application/json".to_owned()),
        retry_after: false,
    },
    SharedError {
        status: "422",
        name: "ValidationFailed",
        description: "Invalid field values; `errors` names each field",
        example: || {
            AppError::Validation(vec![
                FieldError::new("title", "must not be empty"),
                FieldError::new("feature_image.url", "must be an absolute http(s) URL"),
            ])
        },
        retry_after: false,
    },
    SharedError {
        status: "429",
        name: "TooManyRequests",
        description: "Too many attempts (logins), or requests (a content API key past its rate); see `Retry-After`",
        example: || AppError::TooManyRequests { retry_after: 42 },
        retry_after: true,
    },
    SharedError {
        status: "503",
        name: "ServiceUnavailable",
        description: "The database is unreachable or overloaded; see `Retry-After`",
        example: || AppError::Unavailable("the database did not answer in time".to_owned()),
        retry_after: true,
    },
];

/// Adds the shared response for `status` where the operation describes none of its own. One
/// that carries `Retry-After` replaces the operation's own, which would not declare it.
fn add_error(op: &mut Operation, status: &str) {
    if let Some(error) = ERRORS.iter().find(|e| e.status == status) {
        let shared = RefOr::Ref(Ref::from_response_name(error.name));
        if error.retry_after {
            op.responses.responses.insert(status.to_owned(), shared);
        } else {
            op.responses
                .responses
                .entry(status.to_owned())
                .or_insert(shared);
        }
    }
}

/// Declares the `If-None-Match` request header on an operation that can answer 304.
fn declare_if_none_match(op: &mut Operation) {
    let declared = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if p.name == "If-None-Match"));
    if declared {
        return;
    }
    op.parameters.get_or_insert_with(Vec::new).push(RefOr::T(
        ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "ETags of copies the client holds; a match answers 304 with no body",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .examples(["\"6f1c0b9e2d7a4c3f8e5b1a0d9c8b7a6f\""]),
            ))
            .build(),
    ));
}

/// utoipa writes a generic envelope's payload inline (`Data_AdminArticle.data` is a copy of
/// `AdminArticle`), which leaves the named schema unused and gives generated clients anonymous
/// types. Points every envelope's `data` (or its items) at the component it copies.
fn refer_to_wrapped_schemas(components: &mut utoipa::openapi::Components) {
    let named: Vec<(String, serde_json::Value)> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), serde_json::to_value(schema).ok()?)))
        .collect();
    let refer = |inline: &mut RefOr<Schema>| {
        let Ok(value) = serde_json::to_value(&*inline) else {
            return;
        };
        if let Some((name, _)) = named.iter().find(|(_, schema)| *schema == value) {
            *inline = RefOr::Ref(Ref::from_schema_name(name.clone()));
        }
    };
    for (name, schema) in components.schemas.iter_mut() {
        if !(name.starts_with("Data_") || name.starts_with("Collection_")) {
            continue;
        }
        let RefOr::T(Schema::Object(envelope)) = schema else {
            continue;
        };
        let Some(data) = envelope.properties.get_mut("data") else {
            continue;
        };
        if let RefOr::T(Schema::Array(array)) = data {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                refer(items);
            }
        } else {
            refer(data);
        }
    }
}

/// A list item is an article (`article_id` alone) or an external link (`url` and `title`);
/// the struct's optional fields cannot say so. `ItemInput` becomes `anyOf` the two shapes, in
/// which a field of the other shape may only be absent or null, exactly as `to_items` decides.
/// The shapes exclude each other (`article_id` is an integer in one, null in the other), so
/// `anyOf` means `oneOf` here without tripping linters that want a property both require.
fn list_item_variants(components: &mut utoipa::openapi::Components) {
    let Some(RefOr::T(Schema::Object(item))) = components.schemas.get("ItemInput") else {
        return;
    };
    let null = || {
        RefOr::T(Schema::Object(
            ObjectBuilder::new().schema_type(Type::Null).build(),
        ))
    };
    // The field as declared, minus `null`: required in this shape.
    let required = |name: &str, kind: Type| match item.properties.get(name) {
        Some(RefOr::T(Schema::Object(field))) => {
            let mut field = field.clone();
            field.schema_type = kind.into();
            RefOr::T(Schema::Object(field))
        }
        _ => RefOr::T(Schema::Object(
            ObjectBuilder::new().schema_type(kind).build(),
        )),
    };
    let mut article = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some("ArticleItem"))
        .description(Some("An article of this newsroom."))
        .required("article_id")
        .property("article_id", required("article_id", Type::Integer));
    let mut link = ObjectBuilder::new()
        .schema_type(Type::Object)
        .title(Some("LinkItem"))
        .description(Some("An external link."))
        .required("url")
        .required("title")
        .property("article_id", null());
    for (name, field) in &item.properties {
        match name.as_str() {
            "article_id" => {}
            "url" => link = link.property("url", required("url", Type::String)),
            "title" => link = link.property("title", required("title", Type::String)),
            _ => link = link.property(name.clone(), field.clone()),
        }
        if name != "article_id" {
            article = article.property(name.clone(), null());
        }
    }
    // Closed like the struct (`deny_unknown_fields`).
    let closed = |shape: ObjectBuilder| {
        let mut shape = shape.build();
        shape.additional_properties = item.additional_properties.clone();
        shape
    };
    let variants = AnyOfBuilder::new()
        .description(item.description.clone())
        .item(closed(article))
        .item(closed(link))
        .build();
    components
        .schemas
        .insert("ItemInput".to_owned(), RefOr::T(Schema::AnyOf(variants)));
}

/// OpenAPI links from each admin create (`POST /api/v1/admin/<things>`) to the read, update
/// and delete of what it created, by the id in its 201 body: generators document them and
/// schemathesis follows them in its stateful phase.
fn link_creates_to_reads(doc: &mut utoipa::openapi::OpenApi) {
    let mut links = Vec::new();
    for (path, item) in &doc.paths.paths {
        let (Some(_), Some(member)) = (
            item.post.as_ref(),
            doc.paths.paths.get(&format!("{path}/{{id}}")),
        ) else {
            continue;
        };
        let targets = [
            ("Get", member.get.as_ref()),
            ("Update", member.patch.as_ref()),
            ("Delete", member.delete.as_ref()),
        ];
        for (verb, target) in targets {
            if let Some(id) = target.and_then(|t| t.operation_id.clone()) {
                links.push((path.clone(), verb, id));
            }
        }
    }
    for (path, verb, target) in links {
        let Some(create) = doc.paths.paths.get_mut(&path).and_then(|i| i.post.as_mut()) else {
            continue;
        };
        if let Some(RefOr::T(created)) = create.responses.responses.get_mut("201") {
            created.links.insert(
                verb.to_owned(),
                RefOr::T(
                    LinkBuilder::new()
                        .operation_id(target)
                        .parameter("id", "$response.body#/data/id")
                        .description(format!("{verb} what was created"))
                        .build(),
                ),
            );
        }
    }
}

/// Adds security and the shared error responses to every operation, by rule.
fn apply_conventions(doc: &mut utoipa::openapi::OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        "bearer".to_owned(),
        RefOr::T(SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        )),
    );
    components.security_schemes.insert(
        "metricsToken".to_owned(),
        RefOr::T(SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "HEADLINE_METRICS_TOKEN, for scrapers outside HEADLINE_METRICS_NETWORKS",
                ))
                .build(),
        )),
    );
    components.security_schemes.insert(
        "contentKey".to_owned(),
        RefOr::T(SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "A content API key (`hlk_…`), needed on the Content API only when the server runs with HEADLINE_CONTENT_API=key; admins make them under /api/v1/admin/content-keys",
                ))
                .build(),
        )),
    );
    components.security_schemes.insert(
        "contentKeyQuery".to_owned(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
            "key",
            "The same content API key as a query parameter, for clients that cannot set headers",
        )))),
    );
    for error in &ERRORS {
        let example = serde_json::to_value((error.example)().problem()).ok();
        let mut response = ResponseBuilder::new()
            .description(error.description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .example(example)
                    .build(),
            );
        if error.retry_after {
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0))
                            .examples([1])
                            .build(),
                    ))
                    .description(Some("Seconds to wait before trying again"))
                    .build(),
            );
        }
        components
            .responses
            .insert(error.name.to_owned(), RefOr::T(response.build()));
    }
    refer_to_wrapped_schemas(components);
    examples::fill(components);
    list_item_variants(components);
    link_creates_to_reads(doc);

    for (path, item) in doc.paths.paths.iter_mut() {
        let admin = path.starts_with("/api/v1/admin");
        let content = crate::api::is_content_api(path);
        let has_id = path.contains('{');
        let ops = [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            if op.responses.responses.contains_key("304") {
                declare_if_none_match(op);
            }
            if op.responses.responses.contains_key("429") {
                add_error(op, "429");
            }
            if path.starts_with("/api/") {
                add_error(op, "400");
                add_error(op, "503");
            }
            if admin {
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                add_error(op, "401");
                add_error(op, "403");
            } else if path == "/metrics" {
                // From an allowed network no credentials; from elsewhere the metrics token.
                op.security = Some(vec![
                    SecurityRequirement::default(),
                    SecurityRequirement::new("metricsToken", Vec::<String>::new()),
                ]);
            } else if content {
                // Public by default (no credentials), or with a content API key when the
                // server requires one (HEADLINE_CONTENT_API=key): either way it is declared.
                op.security = Some(vec![
                    SecurityRequirement::default(),
                    SecurityRequirement::new("contentKey", Vec::<String>::new()),
                    SecurityRequirement::new("contentKeyQuery", Vec::<String>::new()),
                ]);
                add_error(op, "401");
                add_error(op, "429");
            } else {
                // Declared empty, not left out: "no credentials" rather than "unspecified".
                op.security = Some(Vec::new());
            }
            if has_id {
                add_error(op, "404");
            }
            if op.request_body.is_some() {
                add_error(op, "413");
                add_error(op, "415");
                add_error(op, "422");
            }
            if admin && method != "get" {
                add_error(op, "409");
                if has_id {
                    add_error(op, "412");
                }
            }
        }
    }
}

/// The complete document, exactly as `/openapi.json` serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::routes)
        .split_for_parts();
    apply_conventions(&mut doc);
    doc
}

/// The document as committed in `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_default();
    json.push('\n');
    json
}
