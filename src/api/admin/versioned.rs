//! Versioned writes, one capability for every admin resource.
//!
//! Every row an editor can change carries a `version`, sent back as the ETag `"v<version>"`.
//! A write names the version it is based on with `If-Match` (a miss is 412) or a body
//! `version` (a stale one is 409), and finds, checks and saves in one transaction, so two
//! editors never overwrite each other unseen.
//!
//! A resource implements [`Resource`] (how to find it, show it, and whether it is content);
//! each kind of change to it is an [`Edit`] (update, publish, delete…). The handlers check
//! the caller's role, build the edit from the request and hand it to [`save`] or [`remove`]:
//! a new resource implements two traits and copies no handler.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, EntityTag, Header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{KnownFormat, ObjectBuilder, Required, SchemaFormat, Type};

use crate::api::respond::{Data, versioned};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::startup::AppState;

/// A row with a version, as one admin resource.
pub trait Resource: Sized + Send + 'static {
    /// How the Admin API shows it.
    type View: Serialize + Send + 'static;
    /// Whether writes change what the Content API shows: such writes go through
    /// [`Db::write_content`](crate::db::Db::write_content) (change log, caches, search);
    /// staff data (users, keys, webhooks) through [`Db::write`](crate::db::Db::write).
    const CONTENT: bool;
    /// What a 404 calls it ("topic").
    const NAME: &'static str;

    /// The current row, if there is one.
    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError>;
    fn version(&self) -> i64;
    /// Its view; `now` is the request's time (an article's status depends on it).
    fn view(self, conn: &mut AnyConnection, now: NaiveDateTime) -> Result<Self::View, AppError>;
}

/// One kind of change to a resource `R`, built from a request.
pub trait Edit<R: Resource>: Send + 'static {
    /// What the change leaves: the saved resource, or `()` once deleted.
    type Output: Send + 'static;

    /// The body's `version`, for edits that take one.
    fn body_version(&self) -> Option<i64> {
        None
    }

    /// Rights that depend on the stored row (an author's own draft), checked before the
    /// version: a caller without them learns nothing about versions.
    fn authorize(&self, _current: &R) -> Result<(), AppError> {
        Ok(())
    }

    /// Applies the change to `current`; the save must find the row still at `expected`.
    fn apply(
        self,
        conn: &mut AnyConnection,
        current: R,
        expected: i64,
        now: NaiveDateTime,
    ) -> Result<Self::Output, AppError>;
}

/// Checked changes `C` to a resource, with the body's `version`: the edit of resources whose
/// update is one model call.
#[derive(Debug)]
pub struct Patch<C> {
    pub changes: C,
    pub version: Option<i64>,
}

/// A resource deleted with no more than a version check: [`Delete`] removes it.
pub trait Removable: Resource {
    fn remove(conn: &mut AnyConnection, current: Self) -> Result<(), AppError>;
}

/// The plain delete of a [`Removable`] resource.
#[derive(Debug, Clone, Copy)]
pub struct Delete;

impl<R: Removable> Edit<R> for Delete {
    type Output = ();

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: R,
        _expected: i64,
        _now: NaiveDateTime,
    ) -> Result<(), AppError> {
        R::remove(conn, current)
    }
}

/// The `{id}` of an admin path, typed by the resource it names. It extracts like
/// `web::Path<i64>` (the same 400 for a malformed id) and describes itself once for every
/// operation: `params(Id<Topic>)` reads "Topic id".
pub struct Id<R>(i64, PhantomData<fn() -> R>);

impl<R> Id<R> {
    /// The id of an `R` read another way (a path with a second segment).
    pub fn new(id: i64) -> Self {
        Id(id, PhantomData)
    }

    pub fn get(&self) -> i64 {
        self.0
    }
}

impl<R: Resource> FromRequest for Id<R> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let id = web::Path::<i64>::from_request(req, payload).into_inner();
        ready(id.map(|id| Id::new(id.into_inner())))
    }
}

impl<R: Resource> utoipa::IntoParams for Id<R> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut name = R::NAME.chars();
        let what: String = name
            .next()
            .map(|first| first.to_uppercase().chain(name).collect())
            .unwrap_or_default();
        vec![
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(format!("{what} id")))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
                ))
                .build(),
        ]
    }
}

/// Resource `id`, or 404.
fn current<R: Resource>(conn: &mut AnyConnection, id: i64) -> Result<R, AppError> {
    R::find(conn, id)?.ok_or_else(|| AppError::not_found(R::NAME))
}

/// `GET`: the resource with its ETag.
pub async fn show<R: Resource>(state: &AppState, id: Id<R>) -> Result<HttpResponse, AppError> {
    let id = id.get();
    let now = state.clock.now();
    let (version, view) = state
        .db
        .run(move |conn| {
            let found = current::<R>(conn, id)?;
            Ok((found.version(), found.view(conn, now)?))
        })
        .await?;
    Ok(versioned(StatusCode::OK, version, &Data { data: view }))
}

/// Applies `edit` to resource `id` under `precondition`: 200 with the saved resource and
/// its new ETag.
pub async fn save<R, E>(
    state: &AppState,
    id: Id<R>,
    precondition: Precondition,
    edit: E,
) -> Result<HttpResponse, AppError>
where
    R: Resource,
    E: Edit<R, Output = R>,
{
    let id = id.get();
    let now = state.clock.now();
    let (version, view) = transaction::<R, _, _>(state, move |conn| {
        let saved = step(conn, id, precondition, edit, now)?;
        Ok((saved.version(), saved.view(conn, now)?))
    })
    .await?;
    Ok(versioned(StatusCode::OK, version, &Data { data: view }))
}

/// Deletes resource `id` with `edit` under `precondition`: 204.
pub async fn remove<R, E>(
    state: &AppState,
    id: Id<R>,
    precondition: Precondition,
    edit: E,
) -> Result<HttpResponse, AppError>
where
    R: Resource,
    E: Edit<R, Output = ()>,
{
    let id = id.get();
    let now = state.clock.now();
    transaction::<R, _, _>(state, move |conn| step(conn, id, precondition, edit, now)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Find, authorize, settle the version, apply: the order every versioned write keeps.
fn step<R: Resource, E: Edit<R>>(
    conn: &mut AnyConnection,
    id: i64,
    precondition: Precondition,
    edit: E,
    now: NaiveDateTime,
) -> Result<E::Output, AppError> {
    let current = current::<R>(conn, id)?;
    edit.authorize(&current)?;
    let expected = precondition.expected(edit.body_version(), current.version())?;
    edit.apply(conn, current, expected, now)
}

async fn transaction<R, F, T>(state: &AppState, f: F) -> Result<T, AppError>
where
    R: Resource,
    F: FnOnce(&mut AnyConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    if R::CONTENT {
        state.db.write_content(f).await
    } else {
        state.db.write(f).await
    }
}

/// The `If-Match` precondition of a write (RFC 9110 §13.1.1), as an extractor. Absent, the
/// write is based on whatever version it finds (or on the body's `version`).
///
/// `*` or a list of entity-tags (`"v3"`, `W/"v3"`); a header with no entity-tag in it
/// (empty, `null`, an unquoted tag) is a 400, not a failed precondition.
#[derive(Debug, Clone, Default)]
pub struct Precondition(Option<header::IfMatch>);

impl Precondition {
    /// Settles which version a write expects: `If-Match` (no match: 412), else a body
    /// `version` (stale: 409), else the version just loaded.
    pub fn expected(&self, body_version: Option<i64>, current: i64) -> Result<i64, AppError> {
        if let Some(condition) = &self.0
            && !matches(condition, current)
        {
            return Err(AppError::PreconditionFailed(format!(
                "If-Match does not match the current version, \"v{current}\""
            )));
        }
        match body_version {
            Some(v) if v != current => Err(crate::models::stale("resource").into()),
            _ => Ok(current),
        }
    }
}

/// Strong comparison against the version's ETag: a weak or unknown tag never matches.
fn matches(condition: &header::IfMatch, version: i64) -> bool {
    match condition {
        header::IfMatch::Any => true,
        header::IfMatch::Items(tags) => {
            let current = EntityTag::new_strong(format!("v{version}"));
            tags.iter().any(|tag| tag.strong_eq(&current))
        }
    }
}

impl FromRequest for Precondition {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(header::IF_MATCH) {
            return ready(Ok(Precondition(None)));
        }
        // The typed header drops list items that are not entity-tags; none left is malformed.
        let parsed = match header::IfMatch::parse(req) {
            Ok(header::IfMatch::Items(tags)) if tags.is_empty() => None,
            Ok(condition) => Some(condition),
            Err(_) => None,
        };
        ready(parsed.map(|c| Precondition(Some(c))).ok_or_else(|| {
            AppError::bad_request(
                "invalid_if_match",
                "If-Match must be * or a list of entity-tags such as \"v3\"",
            )
        }))
    }
}

/// `If-Match` as the server matches it: `*` or the quoted version ETag.
const IF_MATCH_PATTERN: &str = r#"^(\*|"v[0-9]+")$"#;

/// Declared once here for every versioned write: a plain optional string (a nullable one
/// would make generated clients send a literal `null`, which is malformed).
impl utoipa::IntoParams for Precondition {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The ETag of the version this write is based on (`\"v<version>\"`, or \
                     `*`): when it is no longer current, nothing changes and the answer is 412.",
                ))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(IF_MATCH_PATTERN)),
                ))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn parse(values: &[&str]) -> Result<Precondition, u16> {
        let mut req = TestRequest::default();
        for v in values {
            req = req.append_header((header::IF_MATCH, *v));
        }
        let (req, mut payload) = req.to_http_parts();
        Precondition::from_request(&req, &mut payload)
            .into_inner()
            .map_err(|e| actix_web::ResponseError::status_code(&e).as_u16())
    }

    fn expected(values: &[&str], body: Option<i64>, current: i64) -> Result<i64, u16> {
        parse(values)?
            .expected(body, current)
            .map_err(|e| actix_web::ResponseError::status_code(&e).as_u16())
    }

    #[test]
    fn if_match_is_compared_strongly() {
        assert_eq!(expected(&[], None, 3), Ok(3));
        assert_eq!(expected(&["\"v3\""], None, 3), Ok(3));
        assert_eq!(expected(&["*"], None, 3), Ok(3));
        assert_eq!(expected(&["\"v1\", \"v3\""], None, 3), Ok(3));
        assert_eq!(expected(&["\"v1\"", "\"v3\""], None, 3), Ok(3));
        assert_eq!(expected(&["W/\"v3\""], None, 3), Err(412));
        assert_eq!(expected(&["\"3\""], None, 3), Err(412));
        assert_eq!(expected(&["\"v2\""], None, 3), Err(412));
    }

    #[test]
    fn a_body_version_is_checked_after_if_match() {
        assert_eq!(expected(&[], Some(3), 3), Ok(3));
        assert_eq!(expected(&[], Some(2), 3), Err(409));
        assert_eq!(expected(&["\"v2\""], Some(3), 3), Err(412));
    }

    #[test]
    fn a_header_without_entity_tags_is_malformed() {
        for garbage in ["", "nonsense", "null", "v2", "\"v2"] {
            assert_eq!(parse(&[garbage]).err(), Some(400), "{garbage:?}");
        }
    }
}
