//! Creating, editing and deleting articles.

use actix_web::{HttpResponse, delete, patch, post, web};
use chrono::NaiveDateTime;

use super::input::{CreateArticle, UpdateArticle, apply_seo, check_published_at, image_of};
use super::{AdminArticle, Stored, admin_view};
use crate::api::admin::Id;
use crate::api::admin::versioned::{self, Edit, Precondition};
use crate::api::extract::JsonBody;
use crate::api::respond::{Data, created};
use crate::auth::CurrentUser;
use crate::auth::policy::{self, ArticleAction};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::{self, ArticleDraft};
use crate::models::{authors, lists, topics};
use crate::startup::AppState;
use crate::text::slugify;
use crate::validate::{self, Validator, cleaned, trimmed};

/// An author or contributor creating an article is its first byline (they may credit others
/// after themselves); editors and admins order bylines as they like.
fn own_byline_first(user: &CurrentUser, mut ids: Vec<i64>) -> Vec<i64> {
    if !user.role.manages_all_content()
        && let Some(own) = user.author_id
        && let Some(at) = ids.iter().position(|id| *id == own)
    {
        let own = ids.remove(at);
        ids.insert(0, own);
    }
    ids
}

/// Renders a body on the blocking pool, before the write transaction (so that no body holds the
/// write lock while it renders): a body over the size limit or nested too deep is a 422.
async fn render(body: String) -> Result<crate::text::Rendered, AppError> {
    if body.len() > validate::MAX_BODY {
        return Err(AppError::invalid(
            "body_markdown",
            format!("must be at most {} bytes", validate::MAX_BODY),
        ));
    }
    web::block(move || crate::text::Rendered::of(&body))
        .await?
        .map_err(|reason| AppError::invalid("body_markdown", reason))
}

/// Checks a draft's values (lengths, formats); existence of referenced rows is checked in
/// [`check_references`].
pub(super) fn validate_draft(
    draft: &ArticleDraft,
    user: &crate::auth::CurrentUser,
) -> Result<(), AppError> {
    let mut v = Validator::new();
    v.text("title", &draft.title, validate::MAX_TITLE);
    v.slug("slug", &draft.slug);
    v.opt_text("subtitle", draft.subtitle.as_deref(), validate::MAX_TITLE);
    v.opt_text("excerpt", draft.excerpt.as_deref(), validate::MAX_TEXT);
    if draft.body_markdown.len() > validate::MAX_BODY {
        v.error(
            "body_markdown",
            format!("must be at most {} bytes", validate::MAX_BODY),
        );
    }
    if draft
        .published_at
        .is_some_and(|at| !validate::date_in_range(at))
    {
        v.error("published_at", validate::date_range_message());
    }
    v.ids("author_ids", &draft.author_ids, validate::MAX_IDS);
    v.ids("topic_ids", &draft.topic_ids, validate::MAX_IDS);
    if let Some(image) = &draft.feature_image {
        v.url("feature_image.url", &image.url);
        v.opt_text(
            "feature_image.alt",
            image.alt.as_deref(),
            validate::MAX_TEXT,
        );
        v.opt_text(
            "feature_image.caption",
            image.caption.as_deref(),
            validate::MAX_TEXT,
        );
        v.opt_text(
            "feature_image.credit",
            image.credit.as_deref(),
            validate::MAX_NAME,
        );
    }
    v.opt_text(
        "seo.meta_title",
        draft.seo_meta_title.as_deref(),
        validate::MAX_TITLE,
    );
    v.opt_text(
        "seo.meta_description",
        draft.seo_meta_description.as_deref(),
        validate::MAX_TEXT,
    );
    v.opt_url("seo.canonical_url", draft.seo_canonical_url.as_deref());
    // Authors and contributors must stay on their own bylines, or they would lock themselves out.
    if !user.role.manages_all_content()
        && let Some(own) = user.author_id
        && !draft.author_ids.contains(&own)
    {
        v.error("author_ids", "must include your own author profile");
    }
    v.finish()
}

/// Rejects ids of authors, topics or lists that do not exist (422 naming them).
pub(super) fn check_references(
    conn: &mut AnyConnection,
    draft: &ArticleDraft,
) -> Result<(), AppError> {
    let mut v = Validator::new();
    let missing = authors::missing(conn, &draft.author_ids)?;
    if !missing.is_empty() {
        v.error("author_ids", format!("no author with id {missing:?}"));
    }
    let missing = topics::missing(conn, &draft.topic_ids)?;
    if !missing.is_empty() {
        v.error("topic_ids", format!("no topic with id {missing:?}"));
    }
    if let Some(list) = draft.related_list_id
        && !lists::missing(conn, &[list])?.is_empty()
    {
        v.error("related_list_id", format!("no list with id {list}"));
    }
    v.finish()
}

impl CreateArticle {
    /// The new article's draft, checked, and whether the slug was given (or is derived).
    fn draft(self, user: &CurrentUser) -> Result<(ArticleDraft, bool), AppError> {
        check_published_at(self.published_at.as_ref())?;
        let title = trimmed("title", self.title, validate::MAX_TITLE)?;
        let slug_given = self.slug.is_some();
        let mut draft = ArticleDraft {
            slug: self.slug.unwrap_or_else(|| slugify(&title)),
            title,
            subtitle: cleaned("subtitle", self.subtitle, validate::MAX_TITLE)?,
            excerpt: cleaned("excerpt", self.excerpt, validate::MAX_TEXT)?,
            body_markdown: self.body_markdown.unwrap_or_default(),
            feature_image: self.feature_image.map(image_of).transpose()?,
            seo_meta_title: None,
            seo_meta_description: None,
            seo_canonical_url: None,
            related_list_id: self.related_list_id,
            published_at: self.published_at.map(|t| t.naive_utc()),
            author_ids: own_byline_first(
                user,
                self.author_ids
                    .unwrap_or_else(|| user.author_id.into_iter().collect()),
            ),
            topic_ids: self.topic_ids.unwrap_or_default(),
            rendered: None,
        };
        if let Some(seo) = self.seo {
            apply_seo(&mut draft, seo)?;
        }
        if !slug_given && draft.slug.is_empty() && !draft.title.is_empty() {
            return Err(AppError::invalid(
                "slug",
                "cannot be derived from the title; give one",
            ));
        }
        Ok((draft, slug_given))
    }
}

/// Creates a draft article.
#[utoipa::path(
    operation_id = "adminCreateArticle",
    tag = "Admin: articles",
    request_body = CreateArticle,
    responses((status = 201, description = "Created; `Location` names it", body = Data<AdminArticle>,
               headers(("Location" = String), ("ETag" = String))))
)]
#[post("/articles")]
#[tracing::instrument(name = "admin::articles::write::create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: JsonBody<CreateArticle>,
) -> Result<HttpResponse, AppError> {
    policy::article(&user, ArticleAction::Create, None)?;
    let (mut draft, slug_given) = body.0.draft(&user)?;
    validate_draft(&draft, &user)?;
    draft.rendered = Some(render(draft.body_markdown.clone()).await?);
    let now = state.clock.now();
    let view = state
        .db
        .write_content(move |conn| {
            check_references(conn, &draft)?;
            if !slug_given {
                draft.slug = articles::unique_slug(conn, &draft.slug)?;
            }
            let article = articles::create(conn, &draft, Some(user.id))?;
            admin_view(conn, article, now)
        })
        .await?;
    Ok(created(
        format!("/api/v1/admin/articles/{}", view.id),
        view.version,
        &Data { data: view },
    ))
}

/// An edit of an article's content, its body already rendered.
struct ArticleEdit {
    user: CurrentUser,
    patch: UpdateArticle,
    rendered: Option<crate::text::Rendered>,
}

impl Edit<Stored> for ArticleEdit {
    type Output = Stored;

    fn body_version(&self) -> Option<i64> {
        self.patch.version
    }

    fn authorize(&self, current: &Stored) -> Result<(), AppError> {
        current.allows(&self.user, ArticleAction::Update)
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Stored,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<Stored, AppError> {
        let Stored { article, mut draft } = current;
        self.patch.apply(&mut draft)?;
        if self.rendered.is_some() {
            draft.rendered = self.rendered;
        }
        validate_draft(&draft, &self.user)?;
        check_references(conn, &draft)?;
        Stored::save(conn, &article, expected, draft, None, &self.user, now)
    }
}

/// Deleting an article, with its history.
struct DeleteArticle {
    user: CurrentUser,
}

impl Edit<Stored> for DeleteArticle {
    type Output = ();

    fn authorize(&self, current: &Stored) -> Result<(), AppError> {
        current.allows(&self.user, ArticleAction::Delete)
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: Stored,
        _: i64,
        _: NaiveDateTime,
    ) -> Result<(), AppError> {
        Ok(articles::delete(conn, current.article.id)?)
    }
}

/// Edits an article. Send `If-Match: "v<version>"` (stale: 412) or a body `version` (stale: 409);
/// either way a stale edit changes nothing.
#[utoipa::path(
    operation_id = "adminUpdateArticle",
    tag = "Admin: articles",
    params(Id<Stored>, Precondition),
    request_body = UpdateArticle,
    responses((status = 200, description = "The updated article", body = Data<AdminArticle>, headers(("ETag" = String))))
)]
#[patch("/articles/{id}")]
#[tracing::instrument(name = "admin::articles::write::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Stored>,
    precondition: Precondition,
    body: JsonBody<UpdateArticle>,
) -> Result<HttpResponse, AppError> {
    let patch = body.0;
    check_published_at(patch.published_at.as_ref().and_then(Option::as_ref))?;
    // Rendered before the transaction: a long body should not hold the writers' turn.
    let rendered = match &patch.body_markdown {
        Some(body) => Some(render(body.clone()).await?),
        None => None,
    };
    let edit = ArticleEdit {
        user,
        patch,
        rendered,
    };
    versioned::save(&state, id, precondition, edit).await
}

/// Deletes an article with its history. Honors `If-Match`.
#[utoipa::path(
    operation_id = "adminDeleteArticle",
    tag = "Admin: articles",
    params(Id<Stored>, Precondition),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/articles/{id}")]
#[tracing::instrument(name = "admin::articles::write::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<Stored>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    let edit = DeleteArticle { user };
    versioned::remove(&state, id, precondition, edit).await
}
