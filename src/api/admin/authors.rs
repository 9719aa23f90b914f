//! `/api/v1/admin/authors`: author profiles.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::versioned::{self, Delete, Edit, Precondition, Removable, Resource};
use super::{AdminPageQuery, Id};
use crate::api::extract::{SmallJson, patch_field};
use crate::api::respond::{Collection, Data, created, private};
use crate::api::views::{social_map, utc};
use crate::auth::{CurrentUser, policy};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::authors::{self, Author, AuthorFields};
use crate::models::users;
use crate::startup::AppState;
use crate::text::slugify;
use crate::validate::{self, Validator, cleaned, trimmed};

/// An author as editors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAuthor {
    pub id: i64,
    #[schema(example = "andy-boxall")]
    pub slug: String,
    #[schema(example = "Andy Boxall")]
    pub name: String,
    #[schema(example = "Senior Writer")]
    pub job_title: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    /// Network name to profile URL.
    pub social: BTreeMap<String, String>,
    /// The staff account that writes as this author, if any.
    pub user_id: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AdminAuthor {
    fn build(a: Author, user_id: Option<i64>) -> Self {
        Self {
            social: social_map(&a.social),
            user_id,
            id: a.id,
            slug: a.slug,
            name: a.name,
            job_title: a.job_title,
            bio: a.bio,
            avatar_url: a.avatar_url,
            website: a.website,
            version: a.version,
            created_at: utc(a.created_at),
            updated_at: utc(a.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Andy Boxall", "job_title": "Senior Writer", "social": {"x": "https://x.com/andyboxall"}}))]
pub struct CreateAuthor {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: String,
    /// Generated from the name when absent.
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[schema(max_length = 200)]
    pub job_title: Option<String>,
    #[schema(max_length = 2000)]
    pub bio: Option<String>,
    #[schema(
        pattern = r"^\s*(https?://[^\s\x00-\x1f\x7f-\x9f]+)?\s*$",
        max_length = 2048
    )]
    pub avatar_url: Option<String>,
    #[schema(
        pattern = r"^\s*(https?://[^\s\x00-\x1f\x7f-\x9f]+)?\s*$",
        max_length = 2048
    )]
    pub website: Option<String>,
    /// Network name to profile URL.
    #[schema(schema_with = social_links)]
    pub social: Option<BTreeMap<String, String>>,
}

/// A partial update: absent fields are left alone, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAuthor {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: Option<String>,
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 200)]
    pub job_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 2000)]
    pub bio: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(
        pattern = r"^\s*(https?://[^\s\x00-\x1f\x7f-\x9f]+)?\s*$",
        max_length = 2048
    )]
    pub avatar_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(
        pattern = r"^\s*(https?://[^\s\x00-\x1f\x7f-\x9f]+)?\s*$",
        max_length = 2048
    )]
    pub website: Option<Option<String>>,
    /// Replaces all social links.
    #[schema(schema_with = social_links)]
    pub social: Option<BTreeMap<String, String>>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

/// `social` as `validate` takes it: up to 20 links, each a name (1–50 characters, not blank)
/// to an http(s) URL.
fn social_links() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let url = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^https?://[^\s\x00-\x1f\x7f-\x9f]+$"))
        .max_length(Some(validate::MAX_URL));
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"\S"))
        .max_length(Some(50));
    let mut links = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .description(Some("Network name to profile URL."))
        .additional_properties(Some(url))
        .max_properties(Some(validate::MAX_SOCIAL_LINKS))
        .examples([serde_json::json!({"x": "https://x.com/andyboxall"})])
        .build();
    links.property_names = Some(Box::new(name.build().into()));
    links
}

fn validate(fields: &AuthorFields, social: &BTreeMap<String, String>) -> Result<(), AppError> {
    let mut v = Validator::new();
    v.text("name", &fields.name, validate::MAX_NAME);
    v.slug("slug", &fields.slug);
    v.opt_text("job_title", fields.job_title.as_deref(), validate::MAX_NAME);
    v.opt_text("bio", fields.bio.as_deref(), validate::MAX_TEXT);
    v.opt_url("avatar_url", fields.avatar_url.as_deref());
    v.opt_url("website", fields.website.as_deref());
    if social.len() > validate::MAX_SOCIAL_LINKS {
        v.error(
            "social",
            format!("must have at most {} links", validate::MAX_SOCIAL_LINKS),
        );
    }
    for (name, url) in social {
        v.text(&format!("social.{name}"), name, 50);
        v.url(&format!("social.{name}"), url);
    }
    v.finish()
}

/// Views of `rows` with their linked users (one query).
fn views(conn: &mut AnyConnection, rows: Vec<Author>) -> Result<Vec<AdminAuthor>, AppError> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let linked = users::linked_to_authors(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|a| {
            let user = linked.get(&a.id).copied();
            AdminAuthor::build(a, user)
        })
        .collect())
}

fn view(conn: &mut AnyConnection, row: Author) -> Result<AdminAuthor, AppError> {
    views(conn, vec![row])?
        .pop()
        .ok_or_else(|| AppError::internal("author view lost"))
}

/// Author profiles, by name.
#[utoipa::path(
    operation_id = "adminListAuthors",tag = "Admin: authors", params(AdminPageQuery),
    responses((status = 200, description = "A page of authors", body = Collection<AdminAuthor>)))]
#[get("/authors")]
#[tracing::instrument(name = "admin::authors::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<AdminPageQuery>,
) -> Result<HttpResponse, AppError> {
    let (limit, cursor) = query.parse("name")?;
    let page = state
        .db
        .run(move |conn| {
            let page = authors::list(conn, cursor.as_ref(), limit)?;
            let (next, total) = (page.next, page.total);
            let items = views(conn, page.items)?;
            Ok(crate::pagination::Page { items, next, total })
        })
        .await?;
    Ok(private(&Collection::from_page(page, limit, "name", |a| a)))
}

/// Creates an author profile (editors and admins).
#[utoipa::path(
    operation_id = "adminCreateAuthor",tag = "Admin: authors", request_body = CreateAuthor,
    responses((status = 201, description = "Created", body = Data<AdminAuthor>, headers(("Location" = String), ("ETag" = String)))))]
#[post("/authors")]
#[tracing::instrument(name = "admin::authors::create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: SmallJson<CreateAuthor>,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    let input = body.0;
    let name = trimmed("name", input.name, validate::MAX_NAME)?;
    let social = input.social.unwrap_or_default();
    let fields = AuthorFields {
        slug: input.slug.unwrap_or_else(|| slugify(&name)),
        name,
        job_title: cleaned("job_title", input.job_title, validate::MAX_NAME)?,
        bio: cleaned("bio", input.bio, validate::MAX_TEXT)?,
        avatar_url: cleaned("avatar_url", input.avatar_url, validate::MAX_URL)?,
        website: cleaned("website", input.website, validate::MAX_URL)?,
        social: serde_json::to_string(&social)?,
    };
    validate(&fields, &social)?;
    let author = state
        .db
        .write_content(move |conn| {
            let row = authors::insert(conn, &fields)?;
            view(conn, row)
        })
        .await?;
    let view = author;
    Ok(created(
        format!("/api/v1/admin/authors/{}", view.id),
        view.version,
        &Data { data: view },
    ))
}

impl Resource for Author {
    type View = AdminAuthor;
    const CONTENT: bool = true;
    const NAME: &'static str = "author";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        Ok(authors::find(conn, id)?)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn view(self, conn: &mut AnyConnection, _: NaiveDateTime) -> Result<AdminAuthor, AppError> {
        view(conn, self)
    }
}

impl Edit<Author> for UpdateAuthor {
    type Output = Author;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Author,
        expected: i64,
        _: NaiveDateTime,
    ) -> Result<Author, AppError> {
        let mut fields = current.fields();
        let mut social = social_map(&current.social);
        if let Some(name) = self.name {
            fields.name = trimmed("name", name, validate::MAX_NAME)?;
        }
        if let Some(slug) = self.slug {
            fields.slug = slug;
        }
        if let Some(v) = self.job_title {
            fields.job_title = cleaned("job_title", v, validate::MAX_NAME)?;
        }
        if let Some(v) = self.bio {
            fields.bio = cleaned("bio", v, validate::MAX_TEXT)?;
        }
        if let Some(v) = self.avatar_url {
            fields.avatar_url = cleaned("avatar_url", v, validate::MAX_URL)?;
        }
        if let Some(v) = self.website {
            fields.website = cleaned("website", v, validate::MAX_URL)?;
        }
        if let Some(v) = self.social {
            social = v;
            fields.social = serde_json::to_string(&social)?;
        }
        validate(&fields, &social)?;
        Ok(authors::update(conn, current.id, expected, &fields)?)
    }
}

impl Removable for Author {
    fn remove(conn: &mut AnyConnection, current: Author) -> Result<(), AppError> {
        Ok(authors::delete(conn, current.id)?)
    }
}

/// One author profile.
#[utoipa::path(
    operation_id = "adminGetAuthor",tag = "Admin: authors", params(Id<Author>),
    responses((status = 200, description = "The author", body = Data<AdminAuthor>, headers(("ETag" = String)))))]
#[get("/authors/{id}")]
#[tracing::instrument(name = "admin::authors::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: Id<Author>,
) -> Result<HttpResponse, AppError> {
    versioned::show(&state, id).await
}

/// Edits an author profile (editors, admins, or the user linked to it).
#[utoipa::path(
    operation_id = "adminUpdateAuthor",tag = "Admin: authors",
    params(Id<Author>, Precondition),
    request_body = UpdateAuthor,
    responses((status = 200, description = "The updated author", body = Data<AdminAuthor>, headers(("ETag" = String)))))]
#[patch("/authors/{id}")]
#[tracing::instrument(name = "admin::authors::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Author>,
    precondition: Precondition,
    body: SmallJson<UpdateAuthor>,
) -> Result<HttpResponse, AppError> {
    policy::author_profile_update(&user, id.get())?;
    versioned::save(&state, id, precondition, body.0).await
}

/// Deletes an author profile that is on no byline (409 otherwise).
#[utoipa::path(
    operation_id = "adminDeleteAuthor",tag = "Admin: authors",
    params(Id<Author>, Precondition),
    responses((status = 204, description = "Deleted")))]
#[delete("/authors/{id}")]
#[tracing::instrument(name = "admin::authors::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Author>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    versioned::remove(&state, id, precondition, Delete).await
}
