-- The audit log: who did what to which entity, when, from which request. One row per login,
-- failed login and logout, and per admin write (successful or refused) by a signed-in user.
-- No foreign keys: a record outlives the user and the entity it names.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TIMESTAMP NOT NULL,
    user_id    BIGINT,
    -- The account named: the user's at the time, or the one a failed login tried.
    email      TEXT,
    -- `<entity>.<verb>`: article.publish, webhook.create, auth.login_failed, …
    action     TEXT    NOT NULL,
    entity     TEXT,
    entity_id  BIGINT,
    method     TEXT    NOT NULL,
    path       TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    request_id TEXT,
    address    TEXT
);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
