//! `POST /api/v1/auth/login`, `/auth/refresh`, `/auth/logout`, and `GET /api/v1/admin/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::extract::SmallJson;
use crate::api::respond::{Data, private};
use crate::api::views::{AuthorSummary, utc};
use crate::audit;
use crate::auth::{CurrentUser, Role, password, random_token, token_digest};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::models::OrMissing;
use crate::models::{authors, now, tokens, users};
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "editor@headline.test")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

/// A fresh pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Single use: exchange at `/auth/refresh` for a new pair.
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// A new access token (at the user's session generation, from the row the caller loaded) and
/// refresh token in `family`.
fn issue_pair(
    state: &AppState,
    conn: &mut AnyConnection,
    user: &users::User,
    family: &str,
) -> Result<TokenResponse, AppError> {
    let user_id = user.id;
    let refresh_token = random_token();
    let ttl = i64::try_from(state.settings.refresh_token_ttl).unwrap_or(i64::MAX / 2);
    let expires_at: NaiveDateTime = now() + Duration::seconds(ttl.min(10 * 365 * 24 * 3600));
    tokens::insert(
        conn,
        user_id,
        family,
        &token_digest(&refresh_token),
        expires_at,
    )?;
    Ok(TokenResponse {
        access_token: state.jwt.issue(user_id, user.session_generation)?,
        token_type: "Bearer".to_owned(),
        expires_in: state.jwt.ttl_seconds(),
        refresh_token,
    })
}

fn bad_credentials() -> AppError {
    AppError::Unauthorized("e-mail or password is wrong".to_owned())
}

/// Exchanges e-mail and password for an access token and a refresh token.
#[utoipa::path(
    operation_id = "logIn",
    tag = "Auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong e-mail or password, or a disabled account", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address or for this account; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/login")]
#[tracing::instrument(name = "auth::login", skip_all)]
pub async fn login(
    state: web::Data<AppState>,
    body: SmallJson<LoginRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let LoginRequest { email, password } = body.0;
    let email = email.trim().to_lowercase();
    let address = crate::auth::rate_limit::client_address(&req, &state.trusted_proxies);
    if let Err(retry_after) = state.login_limits.attempt(&email, address) {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let Some(user) = authenticate(&state, &email, password).await? else {
        let mut record = audit::auth_entry(&req, &state, "auth.login_failed", 401, None, None);
        record.email = Some(email.chars().take(crate::validate::MAX_EMAIL).collect());
        audit::write(&state, record).await;
        return Err(bad_credentials());
    };
    state.login_limits.succeeded(&email, address);
    let st = state.clone();
    let record = audit::auth_entry(
        &req,
        &state,
        "auth.login",
        200,
        Some((user.id, &user.email)),
        None,
    );
    let pair = state
        .db
        .write(move |conn| {
            let pair = issue_pair(&st, conn, &user, &random_token())?;
            // In the login's own transaction: no session without its record.
            crate::models::audit::insert(conn, &record)?;
            Ok(pair)
        })
        .await?;
    Ok(private(&pair))
}

/// The enabled account `email` whose password is `password`, if any. Argon2 is slow on
/// purpose: it runs on the blocking pool, holding no connection, and an unknown address is
/// checked against a dummy hash so that timing does not reveal which accounts exist.
async fn authenticate(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Option<users::User>, AppError> {
    let lookup = email.to_owned();
    let user = state
        .db
        .run(move |conn| Ok(users::find_by_email(conn, &lookup)?))
        .await?;
    let stored = user.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let ok = state.password_gate.verify(password, stored).await?;
    Ok(user.filter(|u| ok && !u.disabled))
}

/// Exchanges a refresh token for a new pair. Each refresh token works once; presenting a used
/// one again revokes every token of that login.
#[utoipa::path(
    operation_id = "refreshSession",
    tag = "Auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/refresh")]
#[tracing::instrument(name = "auth::refresh", skip_all)]
pub async fn refresh(
    state: web::Data<AppState>,
    body: SmallJson<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let digest = token_digest(&body.0.refresh_token);
    let st = state.clone();
    let pair = state
        .db
        .write(move |conn| rotate(&st, conn, &digest))
        .await?;
    match pair {
        Ok(pair) => Ok(private(&pair)),
        Err(family) => {
            tracing::warn!(%family, "refresh token reused; family revoked");
            Err(AppError::Unauthorized(
                "refresh token was already used; log in again".to_owned(),
            ))
        }
    }
}

/// Uses up the refresh token of `digest` and issues the next pair of its login, or, when the
/// token was used before (someone else holds it too), revokes the login and names it.
fn rotate(
    st: &AppState,
    conn: &mut AnyConnection,
    digest: &str,
) -> Result<Result<TokenResponse, String>, AppError> {
    let invalid = || AppError::Unauthorized("invalid refresh token".to_owned());
    let Some(token) = tokens::find_by_hash(conn, digest)? else {
        return Err(invalid());
    };
    if token.revoked_at.is_some() {
        return Err(invalid());
    }
    if token.used_at.is_some() || !tokens::use_up(conn, token.id)? {
        tokens::revoke_family(conn, &token.family)?;
        return Ok(Err(token.family));
    }
    if token.expires_at <= now() {
        return Err(invalid());
    }
    let Some(user) = users::find(conn, token.user_id)?.filter(|u| !u.disabled) else {
        return Err(invalid());
    };
    issue_pair(st, conn, &user, &token.family).map(Ok)
}

/// Revokes a refresh token and the rest of its login.
#[utoipa::path(
    operation_id = "logOut",
    tag = "Auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out (also when the token was already invalid)"))
)]
#[post("/logout")]
#[tracing::instrument(name = "auth::logout", skip_all)]
pub async fn logout(
    state: web::Data<AppState>,
    body: SmallJson<RefreshRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let digest = token_digest(&body.0.refresh_token);
    let mut record = audit::auth_entry(&req, &state, "auth.logout", 204, None, None);
    state
        .db
        .write(move |conn| {
            if let Some(token) = tokens::find_by_hash(conn, &digest)? {
                tokens::revoke_family(conn, &token.family)?;
                // Only a real session's end is recorded: anyone may post a made-up token.
                if let Some(user) = users::find(conn, token.user_id)? {
                    record.user_id = Some(user.id);
                    record.entity_id = Some(user.id);
                    record.email = Some(user.email);
                    crate::models::audit::insert(conn, &record)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller, as the Admin API sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: i64,
    #[schema(example = "editor@headline.test")]
    pub email: String,
    pub role: Role,
    /// The author profile this account writes as, if any.
    pub author: Option<AuthorSummary>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The authenticated caller: user, role and linked author.
#[utoipa::path(
    operation_id = "getCurrentUser",
    tag = "Admin",
    responses((status = 200, description = "The caller", body = Data<MeView>))
)]
#[get("/me")]
#[tracing::instrument(name = "auth::me", skip_all)]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let (row, author) = state
        .db
        .run(move |conn| {
            let row = users::find(conn, user.id)?.or_missing("user")?;
            let author = match row.author_id {
                Some(id) => authors::find(conn, id)?,
                None => None,
            };
            Ok((row, author))
        })
        .await?;
    let role = Role::parse(&row.role).unwrap_or(Role::Contributor);
    Ok(private(&Data {
        data: MeView {
            id: row.id,
            email: row.email,
            role,
            author: author.map(|a| AuthorSummary {
                id: a.id,
                slug: a.slug,
                name: a.name,
                job_title: a.job_title,
                avatar_url: a.avatar_url,
            }),
            created_at: utc(row.created_at),
        },
    }))
}
