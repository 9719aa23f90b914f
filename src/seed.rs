//! The demo newsroom: the Xiaomi–Nokia patent story by Andy Boxall, its topics, its "Read more"
//! list of three related articles, and a "Recommended videos" list. Titles and names are the
//! facts of the original page; bodies and excerpts are our own words.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::{AnyConnection, Db};
use crate::error::AppError;
use crate::models::articles::{self, ArticleDraft, ArticleStatus, FeatureImage};
use crate::models::authors::{self, AuthorFields};
use crate::models::lists::{self, ListFields, NewItem};
use crate::models::topics::{self, TopicFields};

pub const MAIN_SLUG: &str =
    "new-deal-with-nokia-may-accelerate-xiaomis-stalled-global-launch-plans";

fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, 0, 0))
        .unwrap_or_default()
}

const MAIN_BODY: &str = "Xiaomi, the Chinese smartphone maker, has agreed a business deal with Nokia. The two companies will cross-license patents and may go on to build new technology together — and the agreement could help Xiaomi reach markets it has so far approached slowly.

## A technical deal first

On paper the cooperation is about infrastructure: Nokia will supply network equipment, and the pair plan joint work on IP routing, network processors and other telecoms systems. Important work, but not the part most phone buyers will notice.

## Where it gets interesting

The companies also intend to look for other areas to cooperate in, from augmented and virtual reality to artificial intelligence and the Internet of Things. Xiaomi already makes far more than phones — connected home devices among them — and runs its own app ecosystem, while Nokia has lately been eager to team up with big brands, as its recent agreement with optics specialist Zeiss shows.

## Patents, and perhaps passports

Xiaomi also acquires a set of patents from Nokia, a brand that sells its phones almost everywhere. Xiaomi sells devices in around 30 countries, yet still not officially in the United States, the United Kingdom or most of Europe. Asked whether the deal could bring its phones to new markets, a Xiaomi spokesperson told us the licences give it more design freedom in fundamental technologies and will help its global expansion, describing long-term partnerships with technology leaders such as Nokia as a foundation for building its brand worldwide.

> The statement commits to nothing specific, but it points towards products made to be sold globally.

We would welcome that: phones like the Mi Mix and the Mi 6 have been frustratingly hard to buy outside Asia. Still, the agreement may end up covering smart home products rather than phones, or never reach beyond network infrastructure at all. What is clear is that Xiaomi wants its products in more hands around the world.";

const LEICA_BODY: &str = "Xiaomi has set a date for its first phones developed with Leica: the Xiaomi 12S series launches on Monday, July 4, according to an announcement on the company's Weibo account.

The partnership with the German camera maker, revealed earlier this year, underlines how much Xiaomi now competes on photography. Its camera phones were never poor, but the company wants to stand level with the best from Apple, Samsung and Google.

Rivals have taken the same road: Vivo works with Zeiss and OnePlus with Hasselblad, both with well-received results. The 12S series will show whether Leica's colour science and lens know-how give Xiaomi the same lift.";

const REDMI_BODY: &str = "The Redmi Note 11 is not one phone but four, and all of them are getting an international release: the Redmi Note 11 Pro 5G at the top, then the Redmi Note 11 Pro, the Redmi Note 11S and the plain Redmi Note 11. Here is how they differ, from the top down.

## Redmi Note 11 Pro 5G and Note 11 Pro

The Pro 5G is the largest and best-equipped model. It has a 6.67-inch AMOLED screen refreshing at 120Hz, and a triple camera led by a 108-megapixel main sensor, joined by an 8MP wide-angle and a 2MP macro camera. A 16MP selfie camera sits in the screen. Qualcomm's Snapdragon 695 powers it, with 6GB or 8GB of RAM.

## Further down the range

The Note 11S and Note 11 trade the Pro models' features for lower prices, keeping the large screens and long battery life the Redmi Note line is known for.";

const FINGERPRINT_BODY: &str = "Fingerprint sensors under the screen are now common, but they still work in one small spot. Xiaomi wants to change that with a newly granted patent for fingerprint recognition across the whole display.

According to a report by Gizmochina, which cites a leaker in the Chinese tech scene, the patent describes unlocking a phone by touching any part of the screen. Today's in-display readers need the finger placed right over a sensor below the panel; miss it and the phone may not respond, so unlocking can take several tries.

A full-screen reader would remove that guesswork. As with any patent, there is no promise it will reach a product soon.";

/// Loads the demo newsroom when the database has no articles and no authors. Returns whether it did.
pub fn load_demo_if_empty(db: &Db) -> Result<bool, AppError> {
    db.write_content_blocking(|conn| {
        let empty = articles::count(conn)? == 0 && authors::count(conn)? == 0;
        if empty {
            load(conn)?;
        }
        Ok(empty)
    })
}

/// Loads the demo newsroom unless its main article already exists. Returns whether it did.
pub fn load_demo(db: &Db) -> Result<bool, AppError> {
    db.write_content_blocking(|conn| {
        if articles::exists_slug(conn, MAIN_SLUG)? {
            return Ok(false);
        }
        load(conn)?;
        Ok(true)
    })
}

fn author(
    conn: &mut AnyConnection,
    slug: &str,
    name: &str,
    job: &str,
    bio: &str,
) -> Result<i64, AppError> {
    Ok(authors::insert(
        conn,
        &AuthorFields {
            slug: slug.to_owned(),
            name: name.to_owned(),
            job_title: Some(job.to_owned()),
            bio: Some(bio.to_owned()),
            avatar_url: None,
            website: None,
            social: "{}".to_owned(),
        },
    )?
    .id)
}

fn topic(
    conn: &mut AnyConnection,
    slug: &str,
    name: &str,
    description: &str,
    parent_id: Option<i64>,
) -> Result<i64, AppError> {
    Ok(topics::insert(
        conn,
        &TopicFields {
            slug: slug.to_owned(),
            name: name.to_owned(),
            description: Some(description.to_owned()),
            parent_id,
        },
    )?
    .id)
}

struct Story<'a> {
    slug: &'a str,
    title: &'a str,
    body: &'a str,
    image: Option<FeatureImage>,
    published_at: NaiveDateTime,
    author_ids: Vec<i64>,
    topic_ids: Vec<i64>,
    related_list_id: Option<i64>,
}

fn publish(conn: &mut AnyConnection, story: Story<'_>) -> Result<i64, AppError> {
    let draft = ArticleDraft {
        slug: story.slug.to_owned(),
        title: story.title.to_owned(),
        subtitle: None,
        excerpt: None,
        body_markdown: story.body.to_owned(),
        feature_image: story.image,
        seo_meta_title: None,
        seo_meta_description: None,
        seo_canonical_url: None,
        related_list_id: story.related_list_id,
        published_at: Some(story.published_at),
        author_ids: story.author_ids,
        topic_ids: story.topic_ids,
        rendered: None,
    };
    let created = articles::create(conn, &draft, None)?;
    let published = articles::save(
        conn,
        &created,
        created.version,
        &draft,
        Some(ArticleStatus::Published),
        None,
        crate::models::now(),
    )?;
    Ok(published.id)
}

fn load(conn: &mut AnyConnection) -> Result<(), AppError> {
    let andy = author(
        conn,
        "andy-boxall",
        "Andy Boxall",
        "Senior Writer",
        "Andy writes about mobile technology: phones, wearables and the companies behind them. He has covered the industry for well over a decade.",
    )?;
    let xiaomi = topic(
        conn,
        "xiaomi",
        "Xiaomi",
        "News and reviews of Xiaomi phones and devices.",
        None,
    )?;
    let nokia = topic(
        conn,
        "nokia",
        "Nokia",
        "Nokia's phones, networks and patents.",
        None,
    )?;
    let redmi = topic(
        conn,
        "redmi",
        "Redmi",
        "Xiaomi's Redmi range of affordable phones.",
        Some(xiaomi),
    )?;

    let leica = publish(
        conn,
        Story {
            slug: "new-xiaomi-phones-are-launching-on-july-4-with-hopefully-amazing-cameras",
            title: "New Xiaomi phones are launching on July 4 with (hopefully) amazing cameras",
            body: LEICA_BODY,
            image: Some(FeatureImage {
                url: "https://images.example.com/xiaomi-12-ultra.jpg".to_owned(),
                alt: Some("Xiaomi's upcoming 12 Ultra".to_owned()),
                caption: None,
                credit: None,
            }),
            published_at: at(2022, 6, 28, 9),
            author_ids: vec![andy],
            topic_ids: vec![xiaomi],
            related_list_id: None,
        },
    )?;
    let redmi_note = publish(
        conn,
        Story {
            slug: "making-sense-of-xiaomis-confusing-new-redmi-note-11-range",
            title: "Making sense of Xiaomi's confusing new Redmi Note 11 range",
            body: REDMI_BODY,
            image: Some(FeatureImage {
                url: "https://images.example.com/redmi-note-11-series.jpg".to_owned(),
                alt: Some("The Xiaomi Redmi Note 11 series".to_owned()),
                caption: None,
                credit: None,
            }),
            published_at: at(2022, 1, 26, 14),
            author_ids: vec![andy],
            topic_ids: vec![redmi, xiaomi],
            related_list_id: None,
        },
    )?;
    let fingerprint = publish(
        conn,
        Story {
            slug: "xiaomi-patents-full-screen-fingerprint-technology-for-phones",
            title: "Xiaomi patents full-screen fingerprint technology for phones",
            body: FINGERPRINT_BODY,
            image: Some(FeatureImage {
                url: "https://images.example.com/fingerprint-technology.jpg".to_owned(),
                alt: Some("Fingerprint technology".to_owned()),
                caption: None,
                credit: Some("Samsung".to_owned()),
            }),
            published_at: at(2021, 9, 14, 11),
            author_ids: vec![andy],
            topic_ids: vec![xiaomi],
            related_list_id: None,
        },
    )?;

    let read_more = lists::insert(
        conn,
        &ListFields {
            slug: "read-more-xiaomi-nokia".to_owned(),
            title: "Read more".to_owned(),
            description: Some(
                "Further reading on Xiaomi, closing the Xiaomi–Nokia story.".to_owned(),
            ),
        },
    )?;
    lists::replace_items(
        conn,
        read_more.id,
        &[
            NewItem::Article(leica),
            NewItem::Article(redmi_note),
            NewItem::Article(fingerprint),
        ],
    )?;
    let videos = lists::insert(
        conn,
        &ListFields {
            slug: "recommended-videos".to_owned(),
            title: "Recommended Videos".to_owned(),
            description: Some("Videos recommended beside our Xiaomi coverage.".to_owned()),
        },
    )?;
    lists::replace_items(
        conn,
        videos.id,
        &[NewItem::External {
            url: "https://videos.example.com/xiaomi-nokia-deal-explained".to_owned(),
            title: "The Xiaomi–Nokia patent deal, explained".to_owned(),
            excerpt: Some(
                "What the cross-licensing agreement means for Xiaomi's phones abroad.".to_owned(),
            ),
            image_url: Some("https://images.example.com/xiaomi-nokia-video.jpg".to_owned()),
            kind: "video".to_owned(),
        }],
    )?;

    publish(
        conn,
        Story {
            slug: MAIN_SLUG,
            title: "New deal with Nokia may accelerate Xiaomi's stalled global launch plans",
            body: MAIN_BODY,
            image: Some(FeatureImage {
                url: "https://images.example.com/xiaomi-nokia-patent-partnership.jpg".to_owned(),
                alt: Some("Xiaomi Redmi Note 4X beside a Nokia phone".to_owned()),
                caption: Some("Xiaomi and Nokia have agreed to cross-license patents.".to_owned()),
                credit: Some("Andy Boxall/Digital Trends".to_owned()),
            }),
            published_at: at(2017, 7, 5, 8),
            author_ids: vec![andy],
            topic_ids: vec![xiaomi, nokia],
            related_list_id: Some(read_more.id),
        },
    )?;
    Ok(())
}
