//! The OpenAPI document: info, tags, the bearer scheme, and the error responses every operation
//! shares. Paths come from the handlers (`#[utoipa::path]`, collected by utoipa-actix-web); the
//! shared errors are added here by rule, once, instead of being pasted into every handler.
//!
//! `cargo run -- openapi > openapi/openapi.json` rewrites the committed copy.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Headline API",
        version = "1.0.0",
        description = "Headline is a headless CMS for newsrooms. The **Content API** (`/api/v1/…`) serves published content to frontends: public, cacheable (strong ETags, `If-None-Match` → 304), never a draft. The **Admin API** (`/api/v1/admin/…`) is for editors: log in at `/api/v1/auth/login`, then send `Authorization: Bearer <access_token>`.\n\nEnvelope: `{\"data\": …}` for one resource; `{\"data\": […], \"meta\": {\"pagination\": {\"limit\", \"next_cursor\", \"total\"?}}}` for collections. Errors are RFC 9457 `application/problem+json`. Unknown query parameters and JSON fields are rejected with 400.",
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
        (name = "Operations", description = "Health and readiness probes."),
    ),
    components(schemas(Problem, FieldError)),
)]
pub struct ApiDoc;

/// The shared error responses, registered under `components/responses`.
const ERRORS: [(&str, &str, &str); 11] = [
    (
        "400",
        "BadRequest",
        "Malformed request: bad JSON, unknown field or query parameter, bad cursor, limit over 100, an `If-Match` that is not `*` or entity-tags",
    ),
    (
        "401",
        "Unauthorized",
        "Missing, invalid or expired bearer token",
    ),
    (
        "403",
        "Forbidden",
        "The caller's role or ownership does not allow this",
    ),
    (
        "404",
        "NotFound",
        "No such resource (drafts are not found on the Content API)",
    ),
    (
        "409",
        "Conflict",
        "Duplicate slug or e-mail, stale `version`, or a resource still in use",
    ),
    (
        "412",
        "PreconditionFailed",
        "`If-Match` does not match the current version",
    ),
    (
        "413",
        "PayloadTooLarge",
        "Request body over the configured limit",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "Request body is not `application/json`",
    ),
    (
        "422",
        "ValidationFailed",
        "Invalid field values; `errors` names each field",
    ),
    (
        "429",
        "TooManyRequests",
        "Too many failed attempts; see `Retry-After`",
    ),
    (
        "503",
        "ServiceUnavailable",
        "The database is unreachable or overloaded",
    ),
];

fn add_error(op: &mut Operation, status: &str) {
    if let Some((_, name, _)) = ERRORS.iter().find(|(s, _, _)| *s == status) {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
    }
}

/// `If-Match` as the server accepts it: `*` or the quoted version ETag.
const IF_MATCH_PATTERN: &str = r#"^(\*|"v[0-9]+")$"#;

/// Declares every `If-Match` parameter as an optional string of [`IF_MATCH_PATTERN`]. The
/// handlers' `Option<String>` would make it `["string", "null"]`, and generators then send a
/// literal `null`, which the server rightly refuses.
fn if_match_as_string(op: &mut Operation) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    for param in op.parameters.iter_mut().flatten() {
        if let RefOr::T(param) = param
            && param.name == "If-Match"
        {
            param.schema = Some(RefOr::T(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(IF_MATCH_PATTERN))
                    .into(),
            ));
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
    for (_, name, description) in ERRORS {
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build();
        components
            .responses
            .insert(name.to_owned(), RefOr::T(response));
    }

    for (path, item) in doc.paths.paths.iter_mut() {
        let admin = path.starts_with("/api/v1/admin");
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
            if_match_as_string(op);
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
