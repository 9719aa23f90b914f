DROP TRIGGER article_topics_count ON article_topics;
DROP FUNCTION article_topics_count();
DROP TRIGGER article_authors_count ON article_authors;
DROP FUNCTION article_authors_count();
ALTER TABLE authors DROP COLUMN published_count;
ALTER TABLE topics DROP COLUMN published_count;
