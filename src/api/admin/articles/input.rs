//! The bodies that create and edit an article, and how an edit applies to a draft.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::patch_field;
use crate::error::AppError;
use crate::models::articles::{ArticleDraft, FeatureImage};
use crate::validate::{self, cleaned, trimmed};

/// A feature image as written.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureImageInput {
    #[schema(example = "https://images.example.com/xiaomi-nokia.jpg")]
    #[schema(
        pattern = r"^\s*https?://[^\s\x00-\x1f\x7f-\x9f]+\s*$",
        max_length = 2048
    )]
    pub url: String,
    #[schema(max_length = 2000)]
    pub alt: Option<String>,
    #[schema(max_length = 2000)]
    pub caption: Option<String>,
    #[schema(example = "Andy Boxall/Digital Trends")]
    #[schema(max_length = 200)]
    pub credit: Option<String>,
}

/// SEO fields as written; in a PATCH, absent fields are left alone and `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeoInput {
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 300)]
    pub meta_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 2000)]
    pub meta_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(
        pattern = r"^\s*(https?://[^\s\x00-\x1f\x7f-\x9f]+)?\s*$",
        max_length = 2048
    )]
    pub canonical_url: Option<Option<String>>,
}

/// A new article. It starts as a draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "New deal with Nokia may accelerate Xiaomi's stalled global launch plans",
    "body_markdown": "Popular Chinese smartphone brand Xiaomi has signed a business deal with Nokia…",
    "author_ids": [1],
    "topic_ids": [1, 2]
}))]
pub struct CreateArticle {
    #[schema(pattern = r"\S", max_length = 300)]
    pub title: String,
    /// Generated from the title when absent.
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[schema(max_length = 300)]
    pub subtitle: Option<String>,
    /// Derived from the body when absent.
    #[schema(max_length = 2000)]
    pub excerpt: Option<String>,
    #[schema(max_length = 1000000)]
    pub body_markdown: Option<String>,
    /// Bylines in order (first is primary). Defaults to the caller's author.
    #[schema(max_items = 20)]
    pub author_ids: Option<Vec<i64>>,
    /// Topics in order (first is primary).
    #[schema(max_items = 20)]
    pub topic_ids: Option<Vec<i64>>,
    pub feature_image: Option<FeatureImageInput>,
    pub seo: Option<SeoInput>,
    pub related_list_id: Option<i64>,
    /// The publication date to show (years 1900–9999); publishing is a separate step.
    #[schema(pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub published_at: Option<DateTime<FixedOffset>>,
}

/// A partial update: absent fields are left alone, `null` clears an optional field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    #[schema(pattern = r"\S", max_length = 300)]
    pub title: Option<String>,
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 300)]
    pub subtitle: Option<Option<String>>,
    /// `null` goes back to an excerpt derived from the body.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    #[schema(max_length = 2000)]
    pub excerpt: Option<Option<String>>,
    #[schema(max_length = 1000000)]
    pub body_markdown: Option<String>,
    #[schema(max_items = 20)]
    pub author_ids: Option<Vec<i64>>,
    #[schema(max_items = 20)]
    pub topic_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<FeatureImageInput>)]
    pub feature_image: Option<Option<FeatureImageInput>>,
    pub seo: Option<SeoInput>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<i64>)]
    pub related_list_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<DateTime<FixedOffset>>, pattern = r"^(19|[2-9][0-9])[0-9]{2}-")]
    pub published_at: Option<Option<DateTime<FixedOffset>>>,
    /// The version this edit is based on; a stale one answers 409.
    pub version: Option<i64>,
}

impl UpdateArticle {
    /// Applies the patch to `draft`.
    pub(super) fn apply(self, draft: &mut ArticleDraft) -> Result<(), AppError> {
        if let Some(title) = self.title {
            draft.title = trimmed("title", title, validate::MAX_TITLE)?;
        }
        if let Some(slug) = self.slug {
            draft.slug = slug;
        }
        if let Some(subtitle) = self.subtitle {
            draft.subtitle = cleaned("subtitle", subtitle, validate::MAX_TITLE)?;
        }
        if let Some(excerpt) = self.excerpt {
            draft.excerpt = cleaned("excerpt", excerpt, validate::MAX_TEXT)?;
        }
        if let Some(body) = self.body_markdown {
            draft.body_markdown = body;
            // The caller sets the rendering it made before the transaction.
            draft.rendered = None;
        }
        if let Some(ids) = self.author_ids {
            draft.author_ids = ids;
        }
        if let Some(ids) = self.topic_ids {
            draft.topic_ids = ids;
        }
        if let Some(image) = self.feature_image {
            draft.feature_image = image.map(image_of).transpose()?;
        }
        if let Some(seo) = self.seo {
            apply_seo(draft, seo)?;
        }
        if let Some(list) = self.related_list_id {
            draft.related_list_id = list;
        }
        if let Some(at) = self.published_at {
            draft.published_at = at.map(|t| t.naive_utc());
        }
        Ok(())
    }
}

pub(super) fn image_of(i: FeatureImageInput) -> Result<FeatureImage, AppError> {
    Ok(FeatureImage {
        url: trimmed("feature_image.url", i.url, validate::MAX_URL)?,
        alt: cleaned("feature_image.alt", i.alt, validate::MAX_TEXT)?,
        caption: cleaned("feature_image.caption", i.caption, validate::MAX_TEXT)?,
        credit: cleaned("feature_image.credit", i.credit, validate::MAX_NAME)?,
    })
}

pub(super) fn apply_seo(draft: &mut ArticleDraft, seo: SeoInput) -> Result<(), AppError> {
    if let Some(v) = seo.meta_title {
        draft.seo_meta_title = cleaned("seo.meta_title", v, validate::MAX_TITLE)?;
    }
    if let Some(v) = seo.meta_description {
        draft.seo_meta_description = cleaned("seo.meta_description", v, validate::MAX_TEXT)?;
    }
    if let Some(v) = seo.canonical_url {
        draft.seo_canonical_url = cleaned("seo.canonical_url", v, validate::MAX_URL)?;
    }
    Ok(())
}

/// A `published_at` as written, refused (422) outside the years a date may have.
pub(super) fn check_published_at(at: Option<&DateTime<FixedOffset>>) -> Result<(), AppError> {
    match at {
        Some(at) if !validate::written_date_in_range(at) => Err(AppError::invalid(
            "published_at",
            validate::date_range_message(),
        )),
        _ => Ok(()),
    }
}
