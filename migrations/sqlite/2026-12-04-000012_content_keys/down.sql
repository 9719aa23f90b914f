DROP TABLE content_keys;
