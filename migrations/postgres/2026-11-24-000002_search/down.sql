DROP INDEX articles_search;
ALTER TABLE articles DROP COLUMN search;
