DROP TABLE scheduled_publications;
DROP INDEX changes_public;
ALTER TABLE changes DROP COLUMN previous_slug;
ALTER TABLE changes DROP COLUMN event;
