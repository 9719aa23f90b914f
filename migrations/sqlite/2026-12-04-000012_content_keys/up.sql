-- Content API keys (HEADLINE_CONTENT_API=key): known consumers of the Content API. A key is
-- random and kept only as its SHA-256; `prefix` (its first characters) tells keys apart in
-- lists. Revoking a key deletes its row.
CREATE TABLE content_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    label           TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    prefix          TEXT    NOT NULL,
    -- Requests a minute; none: HEADLINE_CONTENT_KEY_RATE.
    rate_per_minute INTEGER,
    version         BIGINT  NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
