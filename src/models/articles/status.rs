//! An article's stored status, as one type from the database to the API.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

/// Stored as `draft`, `published` or `archived`. A published article whose `published_at` is
/// still to come is *scheduled*: derived ([`ArticleStatus::shown`]), never stored, so the
/// Content API shows it the moment its time comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(Self::Draft),
            "published" => Some(Self::Published),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }

    /// The status staff see: `scheduled` for a published article whose time has not come.
    pub fn shown(
        self,
        published_at: Option<chrono::NaiveDateTime>,
        now: chrono::NaiveDateTime,
    ) -> &'static str {
        match (self, published_at) {
            (Self::Published, Some(at)) if at > now => "scheduled",
            (status, _) => status.as_str(),
        }
    }
}

impl<DB: Backend> ToSql<Text, DB> for ArticleStatus
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for ArticleStatus
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        Self::parse(&text).ok_or_else(|| format!("unknown article status {text:?}").into())
    }
}
