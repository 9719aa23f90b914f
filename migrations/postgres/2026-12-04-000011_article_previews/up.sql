-- Draft previews: a link to one article's current state, before it is public. The token is
-- random (256 bits) and kept only as its SHA-256, like refresh tokens; it ends at
-- `expires_at`, when revoked (the row deleted), or with its article (cascade).
CREATE TABLE article_previews (
    id         BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    token_hash TEXT   NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX article_previews_article_id ON article_previews (article_id);
