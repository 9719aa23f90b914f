-- Each article's lead: the start of its body as plain text, where search snippets are cut
-- from. Rendered with the article's card (read model, derived data) so that a search reads
-- 1,500 characters per result instead of parsing its Markdown. Apart from `article_pages` so
-- that reading it never walks the page's overflow.
CREATE TABLE article_leads (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    lead       TEXT    NOT NULL
);
