//! `/api/v1/admin/users`: staff accounts. Admins only.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::versioned::{self, Delete, Edit, Patch, Precondition, Removable, Resource};
use super::{AdminPageQuery, Id};
use crate::api::extract::{SmallJson, patch_field};
use crate::api::respond::{Collection, Data, created};
use crate::api::views::utc;
use crate::auth::{self, CurrentUser, Role, password, policy};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::users::{self, User, UserChanges};
use crate::models::{authors, tokens};
use crate::pagination::Cursor;
use crate::startup::AppState;
use crate::validate::{self, Validator};

/// A staff account. The password hash is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    #[schema(example = "editor@headline.test")]
    pub email: String,
    pub role: Role,
    /// The author profile this account writes as.
    pub author_id: Option<i64>,
    pub disabled: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            role: Role::parse(&u.role).unwrap_or(Role::Contributor),
            id: u.id,
            email: u.email,
            author_id: u.author_id,
            disabled: u.disabled,
            version: u.version,
            created_at: utc(u.created_at),
            updated_at: utc(u.updated_at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "andy@headline.test", "password": "a long passphrase", "role": "author", "author_id": 1}))]
pub struct CreateUser {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    pub role: Role,
    pub author_id: Option<i64>,
}

/// A partial update. Changing the password or disabling revokes the user's refresh tokens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(min_length = 12, max_length = 256)]
    pub password: Option<String>,
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<i64>)]
    pub author_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

/// Refuses a change that would leave no active admin.
fn keep_an_admin(
    conn: &mut AnyConnection,
    current: &User,
    still_admin: bool,
) -> Result<(), AppError> {
    let was_active_admin = current.role == "admin" && !current.disabled;
    if was_active_admin && !still_admin && users::count_active_admins(conn)? <= 1 {
        return Err(AppError::conflict(
            "last_admin",
            "this is the last active admin; make another admin first",
            None,
        ));
    }
    Ok(())
}

/// Staff accounts, by id.
#[utoipa::path(
    operation_id = "adminListUsers",tag = "Admin: users", params(AdminPageQuery),
    responses((status = 200, description = "A page of users", body = Collection<UserView>)))]
#[get("/users")]
#[tracing::instrument(name = "admin::users::list", skip_all)]
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AdminPageQuery>,
) -> Result<HttpResponse, AppError> {
    policy::users(&user)?;
    let (limit, cursor) = query.parse("id")?;
    let after = cursor.map(|Cursor { id, .. }| id);
    let rows = state
        .db
        .run(move |conn| Ok(users::list(conn, after, limit + 1)?))
        .await?;
    Ok(super::by_id(rows, limit, |u: &User| u.id, UserView::from))
}

/// Creates a staff account.
#[utoipa::path(
    operation_id = "adminCreateUser",tag = "Admin: users", request_body = CreateUser,
    responses((status = 201, description = "Created", body = Data<UserView>, headers(("Location" = String), ("ETag" = String)))))]
#[post("/users")]
#[tracing::instrument(name = "admin::users::create", skip_all)]
pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: SmallJson<CreateUser>,
) -> Result<HttpResponse, AppError> {
    policy::users(&user)?;
    let input = body.0;
    let created_user = state
        .db
        .write(move |conn| {
            auth::create_user(
                conn,
                &input.email,
                &input.password,
                input.role,
                input.author_id,
            )
        })
        .await?;
    let view = UserView::from(created_user);
    Ok(created(
        format!("/api/v1/admin/users/{}", view.id),
        view.version,
        &Data { data: view },
    ))
}

impl Resource for User {
    type View = UserView;
    const CONTENT: bool = false;
    const NAME: &'static str = "user";

    fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<Self>, AppError> {
        Ok(users::find(conn, id)?)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn view(self, _: &mut AnyConnection, _: NaiveDateTime) -> Result<UserView, AppError> {
        Ok(UserView::from(self))
    }
}

/// An account's changes, checked, with the new password already hashed.
impl Edit<User> for Patch<UserChanges> {
    type Output = User;

    fn body_version(&self) -> Option<i64> {
        self.version
    }

    fn apply(
        self,
        conn: &mut AnyConnection,
        current: User,
        expected: i64,
        _: NaiveDateTime,
    ) -> Result<User, AppError> {
        let changes = self.changes;
        let still_admin = changes.role.as_deref().unwrap_or(&current.role) == "admin"
            && !changes.disabled.unwrap_or(current.disabled);
        keep_an_admin(conn, &current, still_admin)?;
        if let Some(Some(author_id)) = changes.author_id
            && !authors::missing(conn, &[author_id])?.is_empty()
        {
            return Err(AppError::invalid(
                "author_id",
                format!("no author with id {author_id}"),
            ));
        }
        // A new password or a disabled account ends every session.
        let revoke = changes.password_hash.is_some() || changes.disabled == Some(true);
        let row = users::update(conn, current.id, expected, &changes)?;
        if revoke {
            tokens::revoke_user(conn, current.id)?;
        }
        Ok(row)
    }
}

impl Removable for User {
    fn remove(conn: &mut AnyConnection, current: User) -> Result<(), AppError> {
        keep_an_admin(conn, &current, false)?;
        Ok(users::delete(conn, current.id)?)
    }
}

/// One staff account.
#[utoipa::path(
    operation_id = "adminGetUser",tag = "Admin: users", params(Id<User>),
    responses((status = 200, description = "The user", body = Data<UserView>, headers(("ETag" = String)))))]
#[get("/users/{id}")]
#[tracing::instrument(name = "admin::users::get", skip_all)]
pub async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<User>,
) -> Result<HttpResponse, AppError> {
    policy::users(&user)?;
    versioned::show(&state, id).await
}

/// Edits a staff account.
#[utoipa::path(
    operation_id = "adminUpdateUser",tag = "Admin: users",
    params(Id<User>, Precondition),
    request_body = UpdateUser,
    responses((status = 200, description = "The updated user", body = Data<UserView>, headers(("ETag" = String)))))]
#[patch("/users/{id}")]
#[tracing::instrument(name = "admin::users::update", skip_all)]
pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<User>,
    precondition: Precondition,
    body: SmallJson<UpdateUser>,
) -> Result<HttpResponse, AppError> {
    policy::users(&user)?;
    let edit = checked(&state, body.0).await?;
    versioned::save(&state, id, precondition, edit).await
}

/// An account's changes, validated, with the new password hashed.
async fn checked(state: &AppState, patch: UpdateUser) -> Result<Patch<UserChanges>, AppError> {
    let mut v = Validator::new();
    let email = patch
        .email
        .map(|e| validate::trimmed("email", e, validate::MAX_EMAIL))
        .transpose()?
        .map(|e| e.to_lowercase());
    if let Some(email) = &email {
        v.email("email", email);
    }
    if let Some(pw) = &patch.password {
        v.password("password", pw);
    }
    v.finish()?;
    // Hashed outside the transaction: it is deliberately slow.
    let password_hash = match patch.password {
        Some(pw) => Some(
            state
                .password_gate
                .run(move || password::hash(&pw))
                .await??,
        ),
        None => None,
    };
    Ok(Patch {
        changes: UserChanges {
            email,
            password_hash,
            role: patch.role.map(|r| r.as_str().to_owned()),
            author_id: patch.author_id,
            disabled: patch.disabled,
        },
        version: patch.version,
    })
}

/// Deletes a staff account. The last active admin cannot be deleted.
#[utoipa::path(
    operation_id = "adminDeleteUser",tag = "Admin: users",
    params(Id<User>, Precondition),
    responses((status = 204, description = "Deleted")))]
#[delete("/users/{id}")]
#[tracing::instrument(name = "admin::users::delete", skip_all)]
pub async fn delete(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Id<User>,
    precondition: Precondition,
) -> Result<HttpResponse, AppError> {
    policy::users(&user)?;
    versioned::remove(&state, id, precondition, Delete).await
}
