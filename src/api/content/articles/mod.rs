//! `GET /api/v1/articles`, `/articles/{slug}`, `/articles/{slug}/related`: what the listing
//! and the page share (their query parameters and schemas); each has its own module.

pub mod listing;
pub mod page;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::articles_common::{comma_list, param_schemas};
use crate::api::views::{
    ArticleSummary, AuthorSummary, FeatureImageView, Includes, ItemView, TopicSummary,
};
use crate::error::{AppError, FieldError};
use crate::models::cards::SeoView;

/// Field names `fields` accepts.
pub(crate) const SUMMARY_FIELDS: [&str; 12] = [
    "id",
    "slug",
    "title",
    "subtitle",
    "excerpt",
    "published_at",
    "updated_at",
    "reading_time_minutes",
    "feature_image",
    "authors",
    "topics",
    "snippet",
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Topic slug, or a comma list of slugs: articles filed under any of them.
    #[param(example = "xiaomi,nokia")]
    pub topic: Option<String>,
    /// Author slug: articles this author is credited on.
    #[param(example = "andy-boxall")]
    pub author: Option<String>,
    /// Full-text search over the whole archive: title, excerpt, body, bylines and topic
    /// names. Every word is required (English stemming, diacritics folded); `"a phrase"`
    /// matches words in order; `-word` or `-"a phrase"` leaves articles out; the last word also
    /// matches as a prefix unless a space follows it. Best match first (with a boost for recent
    /// stories) unless `sort` says otherwise; each item then carries a `snippet`. At most 200
    /// characters; an unclosed quote or exclusions alone are a 400.
    #[param(schema_with = param_schemas::query)]
    pub q: Option<String>,
    /// `topic`: with `q`, also return `meta.facets.topic`, the matches per topic.
    #[param(schema_with = param_schemas::facets)]
    pub facets: Option<String>,
    /// Only articles published strictly after this time (RFC 3339, years 1900–9999).
    #[param(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub published_after: Option<DateTime<FixedOffset>>,
    /// Only articles published strictly before this time (RFC 3339, years 1900–9999).
    #[param(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub published_before: Option<DateTime<FixedOffset>>,
    /// `-published_at` (default), `published_at`, `-updated_at`, `title`, or `relevance`
    /// (the default with `q`, and only with `q`).
    #[param(schema_with = param_schemas::content_sort)]
    pub sort: Option<String>,
    /// Relations to embed: a comma list of `authors`, `topics` (default: both). Empty for none.
    #[param(schema_with = param_schemas::includes)]
    pub include: Option<String>,
    /// Sparse fieldset: a comma list of summary fields to return.
    #[param(schema_with = param_schemas::fields)]
    pub fields: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Also return `meta.pagination.total` (costs a count).
    pub count: Option<bool>,
}

fn parse_includes(raw: Option<&str>) -> Result<Includes, AppError> {
    let Some(raw) = raw else {
        return Ok(Includes::BOTH);
    };
    let mut inc = Includes {
        authors: false,
        topics: false,
    };
    for name in comma_list(raw) {
        match name.as_str() {
            "authors" => inc.authors = true,
            "topics" => inc.topics = true,
            other => {
                return Err(AppError::BadRequest {
                    code: "invalid_include",
                    detail: format!("unknown include `{other}`; use authors, topics"),
                    errors: Some(vec![FieldError::new(
                        "include",
                        format!("unknown value `{other}`"),
                    )]),
                });
            }
        }
    }
    Ok(inc)
}

fn parse_fields(raw: Option<&str>) -> Result<Option<Vec<String>>, AppError> {
    let Some(raw) = raw else { return Ok(None) };
    let fields = comma_list(raw);
    if let Some(bad) = fields
        .iter()
        .find(|f| !SUMMARY_FIELDS.contains(&f.as_str()))
    {
        return Err(AppError::BadRequest {
            code: "invalid_fields",
            detail: format!(
                "unknown field `{bad}`; fields are {}",
                SUMMARY_FIELDS.join(", ")
            ),
            errors: Some(vec![FieldError::new(
                "fields",
                format!("unknown value `{bad}`"),
            )]),
        });
    }
    Ok(Some(fields))
}

/// An article summary in a listing. Every field is present unless `fields` leaves it out
/// (and `authors`/`topics` unless `include` does).
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleListItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 1)]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `null` when the article has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub subtitle: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reading_time_minutes: Option<i32>,
    /// `null` when the article has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<FeatureImageView>)]
    pub feature_image: Option<Option<FeatureImageView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<AuthorSummary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<TopicSummary>>,
    /// With `q`: the passage of the body (or excerpt) where the searched words are, each in
    /// `<mark>`, the rest HTML-escaped. Absent when only a byline or topic matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Xiaomi has not yet <mark>launched</mark> its phones in the US.")]
    pub snippet: Option<String>,
}

/// A published article with its body, SEO fields and related items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleView {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// The body, rendered from markdown and sanitized at write time.
    pub body_html: String,
    pub seo: SeoView,
    /// The curated related list's items, then automatic picks (five at most).
    pub related: Vec<ItemView>,
}

/// A date filter as stored, refused (400 naming it) outside the years dates may have.
pub(crate) fn query_date(
    name: &str,
    value: Option<DateTime<FixedOffset>>,
) -> Result<Option<chrono::NaiveDateTime>, AppError> {
    match value {
        Some(at) if !crate::validate::written_date_in_range(&at) => {
            let message = crate::validate::date_range_message();
            Err(AppError::BadRequest {
                code: "invalid_query",
                detail: format!("invalid query string: `{name}` {message}"),
                errors: Some(vec![crate::error::FieldError::new(name, message)]),
            })
        }
        at => Ok(at.map(|t| t.naive_utc())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `include` and `fields` take only the names they list, whatever is sent.
        #[test]
        fn include_and_fields_accept_only_known_names(raw in "[a-z_, ]{0,40}|\\PC{0,40}") {
            if parse_includes(Some(&raw)).is_ok() {
                prop_assert!(comma_list(&raw).iter().all(|n| n == "authors" || n == "topics"));
            }
            if let Ok(Some(fields)) = parse_fields(Some(&raw)) {
                prop_assert!(fields.iter().all(|f| SUMMARY_FIELDS.contains(&f.as_str())));
            }
        }

        /// A JSON body of any bytes parses or is a 400/422 problem, never a panic.
        #[test]
        fn any_body_bytes_parse_or_are_refused(bytes in any::<Vec<u8>>(), text in "\\PC{0,200}") {
            for input in [bytes.as_slice(), text.as_bytes()] {
                if let Err(e) = crate::api::extract::parse_json::<serde_json::Map<String, serde_json::Value>>(input) {
                    let status = actix_web::ResponseError::status_code(&e).as_u16();
                    prop_assert!(status == 400 || status == 422, "{}", status);
                }
            }
        }
    }
}
