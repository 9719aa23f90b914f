-- Webhooks: admins subscribe a URL to public events of the change log. The delivery worker
-- (src/webhooks/) fans each public change out to the webhooks that want it, one delivery row
-- per webhook, then sends those rows with retries. Rows are the queue: a restart loses
-- nothing, and several instances share the work (a claim pushes `next_attempt_at` past the
-- attempt, so a claimed row is not claimed again until its lease ends).
CREATE TABLE webhooks (
    id          BIGSERIAL PRIMARY KEY,
    url         TEXT    NOT NULL,
    -- Space-separated event patterns: `article.published`, `topic.*`, `*`.
    events      TEXT    NOT NULL,
    -- The signing secret, `whsec_` and base64 (Standard Webhooks); shown once.
    secret      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    version     BIGINT  NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    webhook_id      BIGINT  NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           TEXT    NOT NULL,
    -- The change it announces; none for a test ping.
    change_seq      BIGINT,
    -- The body, fixed when the delivery is made, so every attempt sends the same bytes.
    payload         TEXT    NOT NULL,
    -- pending, delivered or failed (dead-lettered: no more automatic attempts).
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    last_attempt_at TIMESTAMP,
    response_status INTEGER,
    -- The start of the receiver's answer, or why there was none.
    response_body   TEXT,
    error           TEXT,
    latency_ms      BIGINT,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

-- How far the fan-out has read the change log. It starts at the present: webhooks hear of
-- changes made after this migration.
CREATE TABLE webhook_cursor (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO webhook_cursor (id, seq) SELECT 1, COALESCE(MAX(seq), 0) FROM changes;
