-- The server's seal over each cursor, kept and sent back unchanged: only a
-- sealed cursor ahead of the feed makes the server start a new epoch.
ALTER TABLE cursors ADD COLUMN mac BLOB;
