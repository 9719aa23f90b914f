-- What the public saw change. A change row with an `event` (`article.published`,
-- `topic.updated`, …) is one the Content API's readers can observe: the changes feed and
-- webhooks follow those rows. Edits of drafts, and scheduling, have none. `previous_slug`
-- names the page a slug change moved away from, for builders and CDNs to purge.
ALTER TABLE changes ADD COLUMN event TEXT;
ALTER TABLE changes ADD COLUMN previous_slug TEXT;
CREATE INDEX changes_public ON changes (seq) WHERE event IS NOT NULL;

-- Published articles whose time has not come, until the scheduler announces them (its
-- change row is the one that says `article.published`).
CREATE TABLE scheduled_publications (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    due_at TIMESTAMP NOT NULL
);
CREATE INDEX scheduled_publications_due ON scheduled_publications (due_at);
INSERT INTO scheduled_publications (article_id, due_at)
    SELECT id, published_at FROM articles
    WHERE status = 'published' AND published_at > (now() AT TIME ZONE 'UTC');
