-- The Content API's read model: each article's public JSON, rendered by the write that changes
-- it, so that a read is a key lookup and a copy rather than a dozen queries and a serialisation.
-- Derived data: `headline` re-renders rows whose `format` is older than the code's at start-up.
--
-- `card` is the article's summary as a JSON object left open (no closing brace) and without its
-- bylines and topics, which readers append from their own copies of the author and topic
-- summaries (so renaming Xiaomi does not rewrite 360,000 cards). `slug`, `status` and
-- `published_at` copy the article's, so a public read never touches `articles`.
CREATE TABLE article_cards (
    article_id      BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    slug            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    published_at    TIMESTAMP,
    related_list_id BIGINT,
    format          INTEGER NOT NULL,
    author_ids      TEXT    NOT NULL,
    topic_ids       TEXT    NOT NULL,
    card            TEXT    NOT NULL
);
CREATE INDEX article_cards_slug ON article_cards (slug);
-- The rest of an article page: `"body_html":…,"seo":{…}`, apart so that listings read small rows.
CREATE TABLE article_pages (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    page       TEXT    NOT NULL
);
-- Bumped by every write to an author or a topic: readers reload their copies of the summaries.
ALTER TABLE content_version ADD COLUMN taxonomy BIGINT NOT NULL DEFAULT 0;
-- The card format every article has a card of (0: not known to be complete). Start-up renders
-- what is missing only when it differs from the code's, instead of walking the archive.
ALTER TABLE content_version ADD COLUMN cards_format INTEGER NOT NULL DEFAULT 0;
