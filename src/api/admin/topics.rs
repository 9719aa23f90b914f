//! `/api/v1/admin/topics`: topics and their nesting.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::versioned::{self, Delete, Edit, Precondition, Removable, Resource};
use super::{AdminPageQuery, Id};
use crate::api::extract::{SmallJson, patch_field};
use crate::api::respond::{Collection, Data, created, private};
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::topics::{self, Topic, TopicFields};
use crate::startup::AppState;
use crate::text::slugify;
use crate::validate::{self, Validator, cleaned, trimmed};

/// A topic as editors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTopic {
    pub id: i64,
    #[schema(example = "redmi")]
    pub slug: String,
    #[schema(example = "Redmi")]
    pub name: String,
    pub description: Option<String>,
    /// The parent topic's id (Redmi's parent is Xiaomi).
    pub parent_id: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Topic> for AdminTopic {
    fn from(t: Topic) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
            description: t.description,
            parent_id: t.parent_id,
            version: t.version,
            created_at: utc(t.created_at),
            updated_at: utc(t.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Redmi", "parent_id": 1}))]
pub struct CreateTopic {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: String,
    /// Generated from the name when absent.
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    pub parent_id: Option<i64>,
}

/// A partial update: absent fields are left alone, `null` clears.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTopic {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: Option<String>,
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 2000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

fn validate(fields: &TopicFields) -> Result<(), AppError> {
    let mut v = Validator::new();
    v.text("name", &fields.name, validate::MAX_NAME);
    v.slug("slug", &fields.slug);
    v.opt_text(
        "description",
        fields.description.as_deref(),
        validate::MAX_TEXT,
    );
    v.finish()
}

fn check_parent(
    conn: &mut AnyConnection,
    id: Option<i64>,
    parent: Option<i64>,
) -> Result<(), AppError> {
    let Some(parent) = parent else { return Ok(()) };
    if !topics::missing(conn, &[parent])?.is_empty() {
        return Err(AppError::invalid(
            "parent_id",
            format!("no topic with id {parent}"),
        ));
    }
    if let Some(id) = id
        && topics::would_cycle(conn, id, parent)?
    {
        return Err(AppError::invalid(
            "parent_id",
            "would make the topic its own ancestor",
        ));
    }
    Ok(())
}

/// Topics, by name.
#[utoipa::path(
    operation_id = "adminListTopics",tag = "Admin: topics", params(AdminPageQuery),
    responses((status = 200, description = "A page of topics", body = Collection<AdminTopic>)))]
#[get("/topics")]
#[tracing::instrument(name = "admin::topics::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<AdminPageQuery>,
) -> Result<HttpResponse, AppError> {
    let (limit, cursor) = query.parse("name")?;
    let page = state
        .db
        .run(move |conn| Ok(topics::list(conn, cursor.as_ref(), limit)?))
        .await?;
    Ok(private(&Collection::from_page(
        page,
        limit,
        "name",
        AdminTopic::from,
    )))
}

/// Creates a topic (editors and admins).
#[utoipa::path(
    operation_id = "adminCreateTopic",tag = "Admin: topics", request_body = CreateTopic,
    responses((status = 201, description = "Created", body = Data<AdminTopic>, headers(("Location" = String), ("ETag" = String)))))]
#[post("/topics")]
#[tracing::instrument(name = "admin::topics::create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: SmallJson<CreateTopic>,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    let input = body.0;
    let name = trimmed("name", input.name, validate::MAX_NAME)?;
    let fields = TopicFields {
        slug: input.slug.unwrap_or_else(|| slugify(&name)),
        name,
        description: cleaned("description", input.description, validate::MAX_TEXT)?,
        parent_id: input.parent_id,
    };
    validate(&fields)?;
    let topic = state
        .db
        .write_content(move |conn| {
            check_parent(conn, None, fields.parent_id)?;
            Ok(topics::insert(conn, &fields)?)
        })
        .await?;
    let view = AdminTopic::from(topic);
    Ok(created(
        format!("/api/v1/admin/topics/{}", view.id),
        view.version,
        &Data { data: view },
    ))
}

impl Resource for Topic {
    type View = AdminTopic;
    const CONTENT: bool = true;
    const NAME: &'static str = "topic";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        Ok(topics::find(conn, id)?)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn view(self, _: &mut AnyConnection, _: NaiveDateTime) -> Result<AdminTopic, AppError> {
        Ok(AdminTopic::from(self))
    }
}

impl Edit<Topic> for UpdateTopic {
    type Output = Topic;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Topic,
        expected: i64,
        _: NaiveDateTime,
    ) -> Result<Topic, AppError> {
        let mut fields = current.fields();
        if let Some(name) = self.name {
            fields.name = trimmed("name", name, validate::MAX_NAME)?;
        }
        if let Some(slug) = self.slug {
            fields.slug = slug;
        }
        if let Some(v) = self.description {
            fields.description = cleaned("description", v, validate::MAX_TEXT)?;
        }
        if let Some(v) = self.parent_id {
            fields.parent_id = v;
        }
        validate(&fields)?;
        check_parent(conn, Some(current.id), fields.parent_id)?;
        Ok(topics::update(conn, current.id, expected, &fields)?)
    }
}

impl Removable for Topic {
    fn remove(conn: &mut AnyConnection, current: Topic) -> Result<(), AppError> {
        Ok(topics::delete(conn, current.id)?)
    }
}

/// One topic.
#[utoipa::path(
    operation_id = "adminGetTopic",tag = "Admin: topics", params(Id<Topic>),
    responses((status = 200, description = "The topic", body = Data<AdminTopic>, headers(("ETag" = String)))))]
#[get("/topics/{id}")]
#[tracing::instrument(name = "admin::topics::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: Id<Topic>,
) -> Result<HttpResponse, AppError> {
    versioned::show(&state, id).await
}

/// Edits a topic (editors and admins).
#[utoipa::path(
    operation_id = "adminUpdateTopic",tag = "Admin: topics",
    params(Id<Topic>, Precondition),
    request_body = UpdateTopic,
    responses((status = 200, description = "The updated topic", body = Data<AdminTopic>, headers(("ETag" = String)))))]
#[patch("/topics/{id}")]
#[tracing::instrument(name = "admin::topics::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Topic>,
    precondition: Precondition,
    body: SmallJson<UpdateTopic>,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    versioned::save(&state, id, precondition, body.0).await
}

/// Deletes a topic: articles lose the tag, child topics lose their parent.
#[utoipa::path(
    operation_id = "adminDeleteTopic",tag = "Admin: topics",
    params(Id<Topic>, Precondition),
    responses((status = 204, description = "Deleted")))]
#[delete("/topics/{id}")]
#[tracing::instrument(name = "admin::topics::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Topic>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    versioned::remove(&state, id, precondition, Delete).await
}
