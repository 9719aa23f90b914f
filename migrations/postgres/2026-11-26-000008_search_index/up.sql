-- Search moves to the embedded index (`src/search`), which follows the change log: the
-- tsvector column and its index go.
DROP INDEX articles_search;
ALTER TABLE articles DROP COLUMN search;
