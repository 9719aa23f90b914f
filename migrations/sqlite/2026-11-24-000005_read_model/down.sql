ALTER TABLE content_version DROP COLUMN cards_format;
ALTER TABLE content_version DROP COLUMN taxonomy;
DROP TABLE article_pages;
DROP TABLE article_cards;
