DROP TABLE article_leads;
