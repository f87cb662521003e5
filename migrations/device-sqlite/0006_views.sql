-- The decoded record of each document, sealed with the data key, so that a
-- cold start reads a short JSON per record instead of loading every
-- Automerge document again. `rev` goes up on every write of the row and
-- the write clears `view`; a view is stored only for the `rev` it was
-- decoded from. The associated data of the seal names the app build's
-- record shapes, so a view written by another build does not open and the
-- record is decoded again from its bytes.
ALTER TABLE docs ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE docs ADD COLUMN view BLOB;

-- What waits for the server, per kind (read after every save): an index of
-- the waiting rows only, so the count no longer reads every row.
CREATE INDEX docs_waiting ON docs (kind, dirty, refused) WHERE dirty = 1 OR refused IS NOT NULL;
