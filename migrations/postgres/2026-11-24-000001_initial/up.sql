-- Headline's initial schema (PostgreSQL). Mirrors migrations/sqlite/2026-11-24-000001_initial.
-- Times are UTC, written by the application with microsecond precision.

CREATE TABLE authors (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    job_title   TEXT,
    bio         TEXT,
    avatar_url  TEXT,
    website     TEXT,
    social      TEXT    NOT NULL DEFAULT '{}',
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'editor', 'author', 'contributor')),
    author_id     BIGINT  REFERENCES authors (id) ON DELETE SET NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    version       BIGINT  NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX users_author_id ON users (author_id);

CREATE TABLE topics (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT,
    parent_id   BIGINT  REFERENCES topics (id) ON DELETE SET NULL,
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX topics_parent_id ON topics (parent_id);

CREATE TABLE lists (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    description TEXT,
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE articles (
    id                    BIGSERIAL PRIMARY KEY,
    slug                  TEXT    NOT NULL UNIQUE,
    title                 TEXT    NOT NULL,
    subtitle              TEXT,
    excerpt               TEXT    NOT NULL,
    excerpt_custom        BOOLEAN NOT NULL DEFAULT FALSE,
    reading_time_minutes  INTEGER NOT NULL,
    status                TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    published_at          TIMESTAMP,
    feature_image_url     TEXT,
    feature_image_alt     TEXT,
    feature_image_caption TEXT,
    feature_image_credit  TEXT,
    seo_meta_title        TEXT,
    seo_meta_description  TEXT,
    seo_canonical_url     TEXT,
    related_list_id       BIGINT  REFERENCES lists (id) ON DELETE SET NULL,
    created_by            BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    version               BIGINT  NOT NULL DEFAULT 1,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL,
    -- The bodies come last: SQLite reads the small columns of a row without walking the
    -- overflow pages of the large ones.
    body_markdown         TEXT    NOT NULL,
    body_html             TEXT    NOT NULL
);
-- One index per Content API sort, each led by status so the published filter is a range scan.
CREATE INDEX articles_status_published_at ON articles (status, published_at, id);
CREATE INDEX articles_status_updated_at ON articles (status, updated_at, id);
CREATE INDEX articles_status_title ON articles (status, title, id);
CREATE INDEX articles_related_list_id ON articles (related_list_id);
CREATE INDEX articles_created_by ON articles (created_by);

CREATE TABLE article_authors (
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id  BIGINT  NOT NULL REFERENCES authors (id) ON DELETE RESTRICT,
    position   INTEGER NOT NULL,
    -- Copies of the article's status and publication time, kept in step by the application, so
    -- that an author's or topic's newest articles are one index range scan.
    status       TEXT NOT NULL,
    published_at TIMESTAMP,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_newest ON article_authors (author_id, status, published_at, article_id);

CREATE TABLE article_topics (
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    topic_id   BIGINT  NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    published_at TIMESTAMP,
    PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_topics_newest ON article_topics (topic_id, status, published_at, article_id);

-- Former slugs of articles: the Content API answers them with a 308 to the current slug.
CREATE TABLE article_slugs (
    slug       TEXT    PRIMARY KEY,
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX article_slugs_article_id ON article_slugs (article_id);

-- One snapshot of an article's editable fields per version.
CREATE TABLE article_revisions (
    id         BIGSERIAL PRIMARY KEY,
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version    BIGINT  NOT NULL,
    snapshot   TEXT    NOT NULL,
    created_by BIGINT  REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (article_id, version)
);

CREATE TABLE list_items (
    id         BIGSERIAL PRIMARY KEY,
    list_id    BIGINT  NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    article_id BIGINT  REFERENCES articles (id) ON DELETE CASCADE,
    url        TEXT,
    title      TEXT,
    excerpt    TEXT,
    image_url  TEXT,
    kind       TEXT    NOT NULL CHECK (kind IN ('article', 'link', 'video')),
    UNIQUE (list_id, position),
    CHECK ((kind = 'article') = (article_id IS NOT NULL))
);
CREATE INDEX list_items_article_id ON list_items (article_id);

-- Refresh tokens are stored as SHA-256 digests; a family is one login's chain of rotations.
CREATE TABLE refresh_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family     TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

-- Secrets the instance generates for itself (the JWT signing key when HEADLINE_JWT_SECRET is unset),
-- kept in the database so that every instance sharing it agrees.
CREATE TABLE app_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
