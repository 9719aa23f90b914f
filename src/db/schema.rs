//! The diesel schema, maintained by hand: `diesel print-schema` differs per backend, and this one
//! file must describe both (ids are `BigInt` on PostgreSQL and SQLite alike).

diesel::table! {
    authors (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        job_title -> Nullable<Text>,
        bio -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        website -> Nullable<Text>,
        /// A JSON object of network name to URL, stored as text on both backends.
        social -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Bylines on articles with status `published` (scheduled included), kept by triggers.
        published_count -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        author_id -> Nullable<BigInt>,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_generation -> BigInt,
    }
}

diesel::table! {
    topics (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        parent_id -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Articles with status `published` (scheduled included) filed here, kept by triggers.
        published_count -> BigInt,
    }
}

diesel::table! {
    lists (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        description -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        subtitle -> Nullable<Text>,
        excerpt -> Text,
        excerpt_custom -> Bool,
        reading_time_minutes -> Integer,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        feature_image_url -> Nullable<Text>,
        feature_image_alt -> Nullable<Text>,
        feature_image_caption -> Nullable<Text>,
        feature_image_credit -> Nullable<Text>,
        seo_meta_title -> Nullable<Text>,
        seo_meta_description -> Nullable<Text>,
        seo_canonical_url -> Nullable<Text>,
        related_list_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        body_markdown -> Text,
        body_html -> Text,
    }
}

diesel::table! {
    /// Bylines. `status` and `published_at` copy the article's, for index-only listings.
    article_authors (article_id, author_id) {
        article_id -> BigInt,
        author_id -> BigInt,
        position -> Integer,
        status -> Text,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Topics of articles. `status` and `published_at` copy the article's, for index-only listings.
    article_topics (article_id, topic_id) {
        article_id -> BigInt,
        topic_id -> BigInt,
        position -> Integer,
        status -> Text,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    article_slugs (slug) {
        slug -> Text,
        article_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    article_revisions (id) {
        id -> BigInt,
        article_id -> BigInt,
        version -> BigInt,
        snapshot -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    list_items (id) {
        id -> BigInt,
        list_id -> BigInt,
        position -> Integer,
        article_id -> Nullable<BigInt>,
        url -> Nullable<Text>,
        title -> Nullable<Text>,
        excerpt -> Nullable<Text>,
        image_url -> Nullable<Text>,
        kind -> Text,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Each article's public summary, rendered at write time (see `models::cards`). `slug`,
    /// `status` and `published_at` copy the article's.
    article_cards (article_id) {
        article_id -> BigInt,
        slug -> Text,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        related_list_id -> Nullable<BigInt>,
        format -> Integer,
        author_ids -> Text,
        topic_ids -> Text,
        card -> Text,
    }
}

diesel::table! {
    /// The rest of each article's public view, rendered at write time.
    article_pages (article_id) {
        article_id -> BigInt,
        page -> Text,
    }
}

diesel::table! {
    /// Each article's lead: its body's start as plain text, for search snippets.
    article_leads (article_id) {
        article_id -> BigInt,
        lead -> Text,
    }
}

diesel::joinable!(users -> authors (author_id));
diesel::joinable!(article_cards -> articles (article_id));
diesel::joinable!(article_pages -> article_cards (article_id));
diesel::joinable!(article_leads -> articles (article_id));
diesel::joinable!(article_topics -> article_cards (article_id));
diesel::joinable!(articles -> lists (related_list_id));
diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_authors -> authors (author_id));
diesel::joinable!(article_topics -> articles (article_id));
diesel::joinable!(article_topics -> topics (topic_id));
diesel::joinable!(article_slugs -> articles (article_id));
diesel::joinable!(article_revisions -> articles (article_id));
diesel::joinable!(list_items -> lists (list_id));
diesel::joinable!(list_items -> articles (article_id));
diesel::joinable!(refresh_tokens -> users (user_id));

// Related picks group by article and publication time.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    article_topics::article_id,
    articles::published_at
);

diesel::allow_tables_to_appear_in_same_query!(
    authors,
    users,
    topics,
    lists,
    articles,
    article_authors,
    article_topics,
    article_slugs,
    article_revisions,
    list_items,
    refresh_tokens,
    article_cards,
    article_pages,
    article_leads,
    content_version,
    changes,
    scheduled_publications,
);

diesel::table! {
    /// The change log (see `models::changes`).
    changes (seq) {
        seq -> BigInt,
        entity -> Text,
        entity_id -> BigInt,
        kind -> Text,
        slug -> Nullable<Text>,
        changed_at -> Timestamp,
        /// The public event (`article.published`), none for changes readers cannot see.
        event -> Nullable<Text>,
        previous_slug -> Nullable<Text>,
    }
}

diesel::table! {
    /// Published articles whose time has not come (see `models::schedule`).
    scheduled_publications (article_id) {
        article_id -> BigInt,
        due_at -> Timestamp,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    content_version (id) {
        id -> BigInt,
        generation -> BigInt,
        /// Bumped by every write to an author or a topic.
        taxonomy -> BigInt,
        /// The card format every article has a card of; 0 while unknown.
        cards_format -> Integer,
    }
}

diesel::table! {
    /// Webhook subscriptions (see `webhooks`).
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        events -> Text,
        secret -> Text,
        description -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One event for one webhook: the delivery queue and its log.
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event -> Text,
        change_seq -> Nullable<BigInt>,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
        latency_ms -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// How far webhook fan-out has read the change log.
    webhook_cursor (id) {
        id -> Integer,
        seq -> BigInt,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);

diesel::table! {
    /// Draft preview links (see `models::previews`).
    article_previews (id) {
        id -> BigInt,
        article_id -> BigInt,
        token_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Content API keys (see `models::content_keys`).
    content_keys (id) {
        id -> BigInt,
        label -> Text,
        key_hash -> Text,
        prefix -> Text,
        rate_per_minute -> Nullable<Integer>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// The audit log (see `audit`).
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        user_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        action -> Text,
        entity -> Nullable<Text>,
        entity_id -> Nullable<BigInt>,
        method -> Text,
        path -> Text,
        status -> Integer,
        request_id -> Nullable<Text>,
        address -> Nullable<Text>,
    }
}
