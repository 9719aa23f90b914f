-- The change log: one row per change to published-facing content (articles, authors, topics,
-- lists), written in the transaction of the change. Readers follow it by `seq`: the search
-- index (and later webhooks and the changes feed). Content writes take turns (they start by
-- locking the `content_version` row), so sequence numbers are taken and committed in order:
-- a reader that has applied up to N never meets a smaller number later.
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    -- The entity's slug after the change (before it, for a delete).
    slug TEXT,
    changed_at TIMESTAMP NOT NULL
);

