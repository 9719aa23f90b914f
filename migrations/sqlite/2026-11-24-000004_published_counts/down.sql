DROP TRIGGER article_topics_count_insert;
DROP TRIGGER article_topics_count_delete;
DROP TRIGGER article_topics_count_update;
DROP TRIGGER article_authors_count_insert;
DROP TRIGGER article_authors_count_delete;
DROP TRIGGER article_authors_count_update;
ALTER TABLE authors DROP COLUMN published_count;
ALTER TABLE topics DROP COLUMN published_count;
