//! [`CurrentUser`]: the authenticated staff member of an Admin API request.
//!
//! Put it in a handler's signature and the handler cannot run without a valid token. The token
//! proves who the caller is; the role, author link and session generation are read from the
//! database on every request, so a disabled user, a changed role or an ended session (logout,
//! password change, reused refresh token) takes effect at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::Role;
use crate::error::AppError;
use crate::models::users;
use crate::startup::AppState;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub author_id: Option<i64>,
}

fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::Unauthorized("an Authorization: Bearer token is required".to_owned())
    })?;
    let value = value
        .to_str()
        .map_err(|e| AppError::Unauthorized(format!("malformed Authorization header: {e}")))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AppError::Unauthorized("malformed Authorization header".to_owned()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthorized(
            "the Authorization scheme must be Bearer".to_owned(),
        ));
    }
    Ok(token.trim().to_owned())
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("app state missing"))?;
            let (user_id, generation) = state.jwt.verify(&token?)?;
            let user = state
                .db
                .run(move |conn| Ok(users::find(conn, user_id)?))
                .await?;
            let user = user.filter(|u| !u.disabled).ok_or_else(|| {
                AppError::Unauthorized("the account no longer exists or is disabled".to_owned())
            })?;
            // Read with the user on every request: an ended session is refused at once on
            // every instance, at no extra query.
            if user.session_generation != generation {
                return Err(AppError::Unauthorized(
                    "the session has ended (logout or password change): log in again".to_owned(),
                ));
            }
            let role = Role::parse(&user.role)
                .ok_or_else(|| AppError::internal("unknown role in database"))?;
            // For the access log's line.
            actix_web::HttpMessage::extensions_mut(&req).insert(crate::telemetry::UserId(user.id));
            Ok(CurrentUser {
                id: user.id,
                email: user.email,
                role,
                author_id: user.author_id,
            })
        })
    }
}
