//! `/api/v1/admin/lists`: curated related-content lists and their ordered items.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::versioned::{self, Delete, Edit, Precondition, Removable, Resource};
use super::{AdminPageQuery, Id};
use crate::api::extract::{JsonBody, patch_field};
use crate::api::respond::{Collection, Data, created, private};
use crate::api::views::utc;
use crate::auth::{CurrentUser, policy};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::lists::{self, List, ListFields, ListItem, NewItem};
use crate::startup::AppState;
use crate::text::slugify;
use crate::validate::{self, Validator, cleaned, trimmed};

/// One item of a list as stored: an article by id, or an external link.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AdminListItem {
    Article {
        article_id: i64,
    },
    External {
        url: String,
        title: String,
        excerpt: Option<String>,
        image_url: Option<String>,
        /// `link` or `video`.
        kind: String,
    },
}

impl From<ListItem> for AdminListItem {
    fn from(i: ListItem) -> Self {
        match i.article_id {
            Some(article_id) => AdminListItem::Article { article_id },
            None => AdminListItem::External {
                url: i.url.unwrap_or_default(),
                title: i.title.unwrap_or_default(),
                excerpt: i.excerpt,
                image_url: i.image_url,
                kind: i.kind,
            },
        }
    }
}

/// A list as editors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminList {
    pub id: i64,
    #[schema(example = "read-more-xiaomi-nokia")]
    pub slug: String,
    #[schema(example = "Read more")]
    pub title: String,
    pub description: Option<String>,
    pub items: Vec<AdminListItem>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(row: List, items: Vec<ListItem>) -> AdminList {
    AdminList {
        id: row.id,
        slug: row.slug,
        title: row.title,
        description: row.description,
        items: items.into_iter().map(Into::into).collect(),
        version: row.version,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

/// What an external item links to.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    Link,
    Video,
}

/// An item to store: either `{article_id}` or `{url, title, excerpt?, image_url?, kind?}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// An article of this newsroom.
    pub article_id: Option<i64>,
    /// An external link's URL.
    #[schema(
        pattern = r"^\s*https?://[^\s\x00-\x1f\x7f-\x9f]+\s*$",
        max_length = 2048
    )]
    pub url: Option<String>,
    #[schema(pattern = r"\S", max_length = 300)]
    pub title: Option<String>,
    #[schema(max_length = 2000)]
    pub excerpt: Option<String>,
    #[schema(
        pattern = r"^\s*(https?://[^\s\x00-\x1f\x7f-\x9f]+)?\s*$",
        max_length = 2048
    )]
    pub image_url: Option<String>,
    /// `link` (default) or `video`.
    pub kind: Option<LinkKind>,
}

fn to_items(inputs: Vec<ItemInput>) -> Result<Vec<NewItem>, AppError> {
    let mut v = Validator::new();
    if inputs.len() > validate::MAX_LIST_ITEMS {
        v.error(
            "items",
            format!("must have at most {} items", validate::MAX_LIST_ITEMS),
        );
    }
    let mut items = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        match (input.article_id, input.url) {
            (Some(article_id), None) => {
                let extra = input.title.is_some()
                    || input.excerpt.is_some()
                    || input.image_url.is_some()
                    || input.kind.is_some();
                if extra {
                    v.error(format!("items[{i}]"), "an article item has only article_id");
                }
                items.push(NewItem::Article(article_id));
            }
            (None, Some(url)) => {
                let url = trimmed(&at("url"), url, validate::MAX_URL)?;
                let title = trimmed(
                    &at("title"),
                    input.title.unwrap_or_default(),
                    validate::MAX_TITLE,
                )?;
                let excerpt = cleaned(&at("excerpt"), input.excerpt, validate::MAX_TEXT)?;
                let image_url = cleaned(&at("image_url"), input.image_url, validate::MAX_URL)?;
                v.url(&at("url"), &url);
                v.text(&at("title"), &title, validate::MAX_TITLE);
                v.opt_url(&at("image_url"), image_url.as_deref());
                let kind = match input.kind.unwrap_or(LinkKind::Link) {
                    LinkKind::Link => "link",
                    LinkKind::Video => "video",
                }
                .to_owned();
                items.push(NewItem::External {
                    url,
                    title,
                    excerpt,
                    image_url,
                    kind,
                });
            }
            _ => v.error(format!("items[{i}]"), "give either article_id or url"),
        }
    }
    v.finish()?;
    Ok(items)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Recommended videos", "items": [{"url": "https://videos.example.com/x", "title": "Hands-on", "kind": "video"}]}))]
pub struct CreateList {
    #[schema(pattern = r"\S", max_length = 300)]
    pub title: String,
    /// Generated from the title when absent.
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(max_items = 100)]
    pub items: Option<Vec<ItemInput>>,
}

/// A partial update of the list itself (items are replaced with PUT …/items).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateList {
    #[schema(pattern = r"\S", max_length = 300)]
    pub title: Option<String>,
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 2000)]
    pub description: Option<Option<String>>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

/// The new items of a list, in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutItems {
    #[schema(max_items = 100)]
    pub items: Vec<ItemInput>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

fn validate(fields: &ListFields) -> Result<(), AppError> {
    let mut v = Validator::new();
    v.text("title", &fields.title, validate::MAX_TITLE);
    v.slug("slug", &fields.slug);
    v.opt_text(
        "description",
        fields.description.as_deref(),
        validate::MAX_TEXT,
    );
    v.finish()
}

/// Lists, by title.
#[utoipa::path(
    operation_id = "adminListLists",tag = "Admin: lists", params(AdminPageQuery),
    responses((status = 200, description = "A page of lists (items not included)", body = Collection<AdminList>)))]
#[get("/lists")]
#[tracing::instrument(name = "admin::lists::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    _user: CurrentUser,
    query: web::Query<AdminPageQuery>,
) -> Result<HttpResponse, AppError> {
    let (limit, cursor) = query.parse("title")?;
    let page = state
        .db
        .run(move |conn| Ok(lists::list(conn, cursor.as_ref(), limit)?))
        .await?;
    Ok(private(&Collection::from_page(page, limit, "title", |l| {
        view(l, Vec::new())
    })))
}

/// Creates a list, with items if given (editors and admins).
#[utoipa::path(
    operation_id = "adminCreateList",tag = "Admin: lists", request_body = CreateList,
    responses((status = 201, description = "Created", body = Data<AdminList>, headers(("Location" = String), ("ETag" = String)))))]
#[post("/lists")]
#[tracing::instrument(name = "admin::lists::create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<CreateList>,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    let input = body.0;
    let title = trimmed("title", input.title, validate::MAX_TITLE)?;
    let fields = ListFields {
        slug: input.slug.unwrap_or_else(|| slugify(&title)),
        title,
        description: cleaned("description", input.description, validate::MAX_TEXT)?,
    };
    validate(&fields)?;
    let items = to_items(input.items.unwrap_or_default())?;
    let now = state.clock.now();
    let saved = state
        .db
        .write_content(move |conn| {
            let inserted = lists::insert(conn, &fields)?;
            lists::replace_items(conn, inserted.id, &items)?;
            inserted.view(conn, now)
        })
        .await?;
    Ok(created(
        format!("/api/v1/admin/lists/{}", saved.id),
        saved.version,
        &Data { data: saved },
    ))
}

impl Resource for List {
    type View = AdminList;
    const CONTENT: bool = true;
    const NAME: &'static str = "list";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        Ok(lists::find(conn, id)?)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn view(self, conn: &mut AnyConnection, _: NaiveDateTime) -> Result<AdminList, AppError> {
        let items = lists::items(conn, self.id)?;
        Ok(view(self, items))
    }
}

impl Edit<List> for UpdateList {
    type Output = List;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: List,
        expected: i64,
        _: NaiveDateTime,
    ) -> Result<List, AppError> {
        let mut fields = current.fields();
        if let Some(title) = self.title {
            fields.title = trimmed("title", title, validate::MAX_TITLE)?;
        }
        if let Some(slug) = self.slug {
            fields.slug = slug;
        }
        if let Some(v) = self.description {
            fields.description = cleaned("description", v, validate::MAX_TEXT)?;
        }
        validate(&fields)?;
        Ok(lists::update(conn, current.id, expected, &fields)?)
    }
}

/// A list's new items, checked.
struct ReplaceItems {
    items: Vec<NewItem>,
    version: Option<i64>,
}

impl Edit<List> for ReplaceItems {
    type Output = List;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: List,
        expected: i64,
        _: NaiveDateTime,
    ) -> Result<List, AppError> {
        lists::replace_items(conn, current.id, &self.items)?;
        Ok(lists::touch(conn, current.id, expected)?)
    }
}

impl Removable for List {
    fn remove(conn: &mut AnyConnection, current: List) -> Result<(), AppError> {
        Ok(lists::delete(conn, current.id)?)
    }
}

/// One list with its items.
#[utoipa::path(
    operation_id = "adminGetList",tag = "Admin: lists", params(Id<List>),
    responses((status = 200, description = "The list", body = Data<AdminList>, headers(("ETag" = String)))))]
#[get("/lists/{id}")]
#[tracing::instrument(name = "admin::lists::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    _user: CurrentUser,
    id: Id<List>,
) -> Result<HttpResponse, AppError> {
    versioned::show(&state, id).await
}

/// Edits a list's title, slug or description.
#[utoipa::path(
    operation_id = "adminUpdateList",tag = "Admin: lists",
    params(Id<List>, Precondition),
    request_body = UpdateList,
    responses((status = 200, description = "The updated list", body = Data<AdminList>, headers(("ETag" = String)))))]
#[patch("/lists/{id}")]
#[tracing::instrument(name = "admin::lists::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<List>,
    precondition: Precondition,
    body: JsonBody<UpdateList>,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    versioned::save(&state, id, precondition, body.0).await
}

/// Replaces a list's items, in order, in one transaction: all or nothing.
#[utoipa::path(
    operation_id = "adminReplaceListItems",tag = "Admin: lists",
    params(Id<List>, Precondition),
    request_body = PutItems,
    responses((status = 200, description = "The list with its new items", body = Data<AdminList>, headers(("ETag" = String)))))]
#[put("/lists/{id}/items")]
#[tracing::instrument(name = "admin::lists::put_items", skip_all)]
pub async fn put_items(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<List>,
    precondition: Precondition,
    body: JsonBody<PutItems>,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    let PutItems { items, version } = body.0;
    let edit = ReplaceItems {
        items: to_items(items)?,
        version,
    };
    versioned::save(&state, id, precondition, edit).await
}

/// Deletes a list; articles that used it as their related list lose it.
#[utoipa::path(
    operation_id = "adminDeleteList",tag = "Admin: lists",
    params(Id<List>, Precondition),
    responses((status = 204, description = "Deleted")))]
#[delete("/lists/{id}")]
#[tracing::instrument(name = "admin::lists::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<List>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::taxonomy_write(&user)?;
    versioned::remove(&state, id, precondition, Delete).await
}
