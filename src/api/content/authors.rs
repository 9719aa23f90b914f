//! `GET /api/v1/authors`, `/authors/{slug}`: public author profiles with article counts.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::respond::{Collection, Data, public};
use crate::api::views::AuthorView;
use crate::models::OrMissing;
use chrono::NaiveDateTime;

use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::articles::{self, Driver};
use crate::models::authors;
use crate::pagination::{self, Cursor, KeyKind};
use crate::startup::AppState;

/// Cursors of name-ordered listings.
pub const BY_NAME: &str = "name";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<(i64, Option<Cursor>), AppError> {
        let limit = pagination::limit(self.limit)?;
        let cursor = Cursor::from_param(self.cursor.as_deref(), BY_NAME, KeyKind::Text)?;
        Ok((limit, cursor))
    }
}

/// Author profiles, by name.
#[utoipa::path(
    operation_id = "listAuthors",
    tag = "Content",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of authors", body = Collection<AuthorView>,
         headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/authors")]
#[tracing::instrument(name = "content::authors::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (limit, cursor) = query.parse()?;
    let now = state.clock.now();
    let (page, counts) = state
        .db
        .run(move |conn| {
            let page = authors::list(conn, cursor.as_ref(), limit)?;
            let ids: Vec<i64> = page.items.iter().map(|a| a.id).collect();
            let counts = articles::public_counts(conn, Driver::Authors(&ids), now)?;
            Ok((page, counts))
        })
        .await?;
    let body = Collection::from_page(page, limit, BY_NAME, |a| {
        let count = counts.get(&a.id).copied().unwrap_or(0);
        AuthorView::build(a, count)
    });
    public(&req, state.settings.cache_max_age, &body)
}

/// One author profile by slug.
#[utoipa::path(
    operation_id = "getAuthorBySlug",
    tag = "Content",
    params(("slug" = String, Path, description = "The author's slug", example = "andy-boxall")),
    responses(
        (status = 200, description = "The author", body = Data<AuthorView>, headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/authors/{slug}")]
#[tracing::instrument(name = "content::authors::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    super::by_slug(&state, &req, slug.into_inner(), author_view).await
}

/// The public view of the author at `slug`, or 404. Webhooks send the same view.
pub fn author_view(
    conn: &mut AnyConnection,
    slug: &str,
    now: NaiveDateTime,
) -> Result<AuthorView, AppError> {
    let author = authors::find_by_slug(conn, slug)?.or_missing("author")?;
    let count = articles::public_counts(conn, Driver::Authors(&[author.id]), now)?
        .get(&author.id)
        .copied()
        .unwrap_or(0);
    Ok(AuthorView::build(author, count))
}
