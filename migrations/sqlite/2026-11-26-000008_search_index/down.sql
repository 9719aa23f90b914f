CREATE VIRTUAL TABLE articles_fts USING fts5(
    title,
    excerpt,
    body_markdown,
    content = 'articles',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, excerpt, body_markdown)
    VALUES (new.id, new.title, new.excerpt, new.body_markdown);
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, excerpt, body_markdown)
    VALUES ('delete', old.id, old.title, old.excerpt, old.body_markdown);
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, excerpt, body_markdown ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, excerpt, body_markdown)
    VALUES ('delete', old.id, old.title, old.excerpt, old.body_markdown);
    INSERT INTO articles_fts (rowid, title, excerpt, body_markdown)
    VALUES (new.id, new.title, new.excerpt, new.body_markdown);
END;
