-- One row counting content writes. Every write that can change a Content API response bumps it
-- in the same transaction; each instance's response cache compares it with the generation its
-- entries were made at, so instances sharing a database invalidate each other.
CREATE TABLE content_version (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO content_version (id, generation) VALUES (1, 0);
