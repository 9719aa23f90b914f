//! Response views shared by the Content and Admin APIs, built from model rows.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::models::articles::ArticleBrief;
use crate::models::authors::{Author, AuthorBrief};
use crate::models::lists::ListItem;
use crate::models::topics::{Topic, TopicBrief};

pub use crate::models::cards::{
    ArticleSummary, AuthorSummary, FeatureImageView, TopicSummary, feature_image, utc,
};

/// Which relations to embed in article summaries.
#[derive(Debug, Clone, Copy)]
pub struct Includes {
    pub authors: bool,
    pub topics: bool,
}

impl Includes {
    pub const BOTH: Includes = Includes {
        authors: true,
        topics: true,
    };
}

/// Relations of a page of articles, loaded in one query each.
#[derive(Debug, Default)]
pub struct Relations {
    pub authors: HashMap<i64, Vec<AuthorBrief>>,
    pub topics: HashMap<i64, Vec<TopicBrief>>,
}

impl ArticleSummary {
    pub fn build(a: ArticleBrief, rel: &Relations, inc: Includes) -> Self {
        let authors = inc.authors.then(|| {
            rel.authors
                .get(&a.id)
                .map(|v| v.iter().cloned().map(AuthorSummary::from).collect())
                .unwrap_or_default()
        });
        let topics = inc.topics.then(|| {
            rel.topics
                .get(&a.id)
                .map(|v| v.iter().cloned().map(TopicSummary::from).collect())
                .unwrap_or_default()
        });
        Self {
            id: a.id,
            slug: a.slug,
            title: a.title,
            subtitle: a.subtitle,
            excerpt: a.excerpt,
            published_at: a.published_at.map(utc),
            updated_at: utc(a.updated_at),
            reading_time_minutes: a.reading_time_minutes,
            feature_image: feature_image(
                a.feature_image_url,
                a.feature_image_alt,
                a.feature_image_caption,
                a.feature_image_credit,
            ),
            authors,
            topics,
        }
    }
}

/// Where a related item came from.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RelatedSource {
    /// From the article's curated related list.
    Curated,
    /// Picked automatically by shared topics and recency.
    Automatic,
}

/// An external link or video in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExternalLink {
    #[schema(example = "https://videos.example.com/xiaomi-12s-ultra-hands-on")]
    pub url: String,
    #[schema(example = "Xiaomi 12S Ultra hands-on")]
    pub title: String,
    pub excerpt: Option<String>,
    pub image_url: Option<String>,
    /// `link` or `video`.
    #[schema(example = "video")]
    pub kind: String,
}

/// One item of a list or of an article's related content.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ItemView {
    /// A published article of this newsroom.
    Article {
        article: ArticleSummary,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<RelatedSource>,
    },
    /// An external link or video.
    External {
        #[serde(flatten)]
        link: ExternalLink,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<RelatedSource>,
    },
}

impl ItemView {
    pub fn external(item: ListItem, source: Option<RelatedSource>) -> Self {
        ItemView::External {
            link: ExternalLink {
                url: item.url.unwrap_or_default(),
                title: item.title.unwrap_or_default(),
                excerpt: item.excerpt,
                image_url: item.image_url,
                kind: item.kind,
            },
            source,
        }
    }
}

/// A public author profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorView {
    pub id: i64,
    #[schema(example = "andy-boxall")]
    pub slug: String,
    #[schema(example = "Andy Boxall")]
    pub name: String,
    #[schema(example = "Senior Writer")]
    pub job_title: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub website: Option<String>,
    /// Network name to profile URL.
    pub social: BTreeMap<String, String>,
    /// Published articles credited to this author.
    #[schema(example = 42)]
    pub article_count: i64,
}

pub fn social_map(raw: &str) -> BTreeMap<String, String> {
    serde_json::from_str(raw).unwrap_or_default()
}

impl AuthorView {
    pub fn build(a: Author, article_count: i64) -> Self {
        Self {
            id: a.id,
            social: social_map(&a.social),
            slug: a.slug,
            name: a.name,
            job_title: a.job_title,
            bio: a.bio,
            avatar_url: a.avatar_url,
            website: a.website,
            article_count,
        }
    }
}

/// A public topic.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicView {
    pub id: i64,
    #[schema(example = "redmi")]
    pub slug: String,
    #[schema(example = "Redmi")]
    pub name: String,
    pub description: Option<String>,
    /// The parent topic, if any (Redmi's is Xiaomi).
    pub parent: Option<TopicSummary>,
    /// Published articles filed under this topic.
    #[schema(example = 12)]
    pub article_count: i64,
}

impl TopicView {
    pub fn build(t: Topic, parents: &HashMap<i64, TopicBrief>, article_count: i64) -> Self {
        Self {
            parent: t
                .parent_id
                .and_then(|p| parents.get(&p).cloned().map(TopicSummary::from)),
            id: t.id,
            slug: t.slug,
            name: t.name,
            description: t.description,
            article_count,
        }
    }
}
