//! The OpenAPI document: info, tags, the bearer scheme, and the error responses every operation
//! shares. Paths come from the handlers (`#[utoipa::path]`, collected by utoipa-actix-web); the
//! shared errors are added here by rule, once, instead of being pasted into every handler.
//!
//! `cargo run -- openapi > openapi/openapi.json` rewrites the committed copy.

mod examples;
mod schemas;

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::Required;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
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
    schemas::refer_to_wrapped_schemas(components);
    examples::fill(components);
    schemas::list_item_variants(components);
    schemas::link_creates_to_reads(doc);

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
