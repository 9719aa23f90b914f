//! Who may do what: the four roles of the contract, as pure functions of (caller, action, object).
//! Every admin handler asks here before it writes; the role × route matrix test exercises it.
//!
//! | role | may |
//! |---|---|
//! | admin | everything, including users |
//! | editor | all content of everyone: create, edit, publish, delete; authors, topics, lists |
//! | author | create articles; edit, publish and delete those where they are an author; edit their own author profile |
//! | contributor | create drafts; edit and delete their own drafts; never publish; nothing once published |
//!
//! Every staff role may read everything on the Admin API; only admins see users.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CurrentUser;
use crate::error::AppError;

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
    Author,
    Contributor,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Author, Role::Contributor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Admins and editors manage everyone's content.
    pub fn manages_all_content(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }
}

/// What a caller wants to do with an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleAction {
    Create,
    Update,
    Publish,
    Delete,
}

/// The facts about an article that permissions depend on.
#[derive(Debug, Clone)]
pub struct ArticleFacts<'a> {
    pub author_ids: &'a [i64],
    /// Whether the article is a draft (never published, or unpublished back to draft).
    pub is_draft: bool,
}

fn forbidden(what: &str) -> AppError {
    AppError::Forbidden(format!("your role may not {what}"))
}

fn is_own(user: &CurrentUser, facts: &ArticleFacts<'_>) -> bool {
    user.author_id
        .is_some_and(|id| facts.author_ids.contains(&id))
}

/// May `user` do `action` to an article with these facts (`None` for a new article)?
pub fn article(
    user: &CurrentUser,
    action: ArticleAction,
    facts: Option<&ArticleFacts<'_>>,
) -> Result<(), AppError> {
    if user.role.manages_all_content() {
        return Ok(());
    }
    match (user.role, action, facts) {
        (_, ArticleAction::Create, _) if user.author_id.is_none() => Err(AppError::Forbidden(
            "your account is not linked to an author, so it cannot write articles".to_owned(),
        )),
        (Role::Author | Role::Contributor, ArticleAction::Create, _) => Ok(()),
        (Role::Author, _, Some(f)) if is_own(user, f) => Ok(()),
        (Role::Contributor, ArticleAction::Publish, _) => Err(forbidden("publish articles")),
        (Role::Contributor, ArticleAction::Update | ArticleAction::Delete, Some(f))
            if is_own(user, f) && f.is_draft =>
        {
            Ok(())
        }
        (Role::Contributor, _, Some(f)) if is_own(user, f) => {
            Err(forbidden("change an article once it has been published"))
        }
        _ => Err(forbidden("change articles of other authors")),
    }
}

/// Draft previews: editors and admins, and the article's own authors (contributors too).
pub fn article_preview(user: &CurrentUser, facts: &ArticleFacts<'_>) -> Result<(), AppError> {
    if user.role.manages_all_content() || is_own(user, facts) {
        Ok(())
    } else {
        Err(forbidden("preview articles of other authors"))
    }
}

/// Authors, topics and lists: editors and admins write; everyone on staff reads.
pub fn taxonomy_write(user: &CurrentUser) -> Result<(), AppError> {
    if user.role.manages_all_content() {
        Ok(())
    } else {
        Err(forbidden("change authors, topics or lists"))
    }
}

/// An author profile may also be edited by the user linked to it.
pub fn author_profile_update(user: &CurrentUser, author_id: i64) -> Result<(), AppError> {
    if user.role.manages_all_content() || user.author_id == Some(author_id) {
        Ok(())
    } else {
        Err(forbidden("change other authors' profiles"))
    }
}

/// What only admins do: users, webhooks, content API keys (`what` names it in the 403).
pub fn admin_only(user: &CurrentUser, what: &str) -> Result<(), AppError> {
    if user.role == Role::Admin {
        Ok(())
    } else {
        Err(forbidden(what))
    }
}

/// Users are managed by admins only.
pub fn users(user: &CurrentUser) -> Result<(), AppError> {
    admin_only(user, "manage users")
}

/// Webhooks reach outside the server and carry secrets: admins only.
pub fn webhooks(user: &CurrentUser) -> Result<(), AppError> {
    admin_only(user, "manage webhooks")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, author_id: Option<i64>) -> CurrentUser {
        CurrentUser {
            id: 1,
            email: "x@example.com".into(),
            role,
            author_id,
        }
    }

    #[test]
    fn contributors_edit_only_their_own_drafts() {
        let me = user(Role::Contributor, Some(7));
        let own_draft = ArticleFacts {
            author_ids: &[7],
            is_draft: true,
        };
        let own_published = ArticleFacts {
            author_ids: &[7],
            is_draft: false,
        };
        let other = ArticleFacts {
            author_ids: &[8],
            is_draft: true,
        };
        assert!(article(&me, ArticleAction::Update, Some(&own_draft)).is_ok());
        assert!(article(&me, ArticleAction::Update, Some(&own_published)).is_err());
        assert!(article(&me, ArticleAction::Update, Some(&other)).is_err());
        assert!(article(&me, ArticleAction::Publish, Some(&own_draft)).is_err());
    }

    #[test]
    fn authors_publish_their_own_articles_only() {
        let me = user(Role::Author, Some(7));
        let own = ArticleFacts {
            author_ids: &[8, 7],
            is_draft: false,
        };
        let other = ArticleFacts {
            author_ids: &[8],
            is_draft: true,
        };
        assert!(article(&me, ArticleAction::Publish, Some(&own)).is_ok());
        assert!(article(&me, ArticleAction::Delete, Some(&own)).is_ok());
        assert!(article(&me, ArticleAction::Delete, Some(&other)).is_err());
        assert!(article(&user(Role::Author, None), ArticleAction::Create, None).is_err());
    }
}
