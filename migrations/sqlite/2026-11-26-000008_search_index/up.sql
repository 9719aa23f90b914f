-- Search moves to the embedded index (`src/search`), which follows the change log: the FTS5
-- table and the triggers that kept it go.
DROP TRIGGER articles_fts_insert;
DROP TRIGGER articles_fts_delete;
DROP TRIGGER articles_fts_update;
DROP TABLE articles_fts;
