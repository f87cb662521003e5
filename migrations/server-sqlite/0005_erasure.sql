-- Erasure of a person (SECURITY.md, "Erasure request"). The person's
-- documents and case notes are deleted with their history; contacts that
-- named them are rewritten as a new generation without the free text.

-- One row per erasure: who erased whom, when and why (a reference to the
-- request, never the person's name).
CREATE TABLE erasures (
    id          TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    by_user     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    deleted     INTEGER NOT NULL,
    rewritten   INTEGER NOT NULL
);
CREATE INDEX erasures_at ON erasures (at);

-- Every document an erasure deleted (keep_from = -1) or rewrote (keep_from
-- = the new generation): what devices must purge. Later pushes for a
-- deleted document are refused (`Erased`), for an older generation too
-- (`OldGeneration`).
CREATE TABLE erased_docs (
    doc_id      TEXT PRIMARY KEY,
    erasure_id  TEXT NOT NULL REFERENCES erasures (id),
    space_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    keep_from   INTEGER NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX erased_docs_space ON erased_docs (space_id, at);
CREATE INDEX erased_docs_erasure ON erased_docs (erasure_id);

-- A device's confirmation that it purged a document (for that keep_from).
CREATE TABLE purge_confirmations (
    doc_id      TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    keep_from   INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (doc_id, device_id)
);
CREATE INDEX purge_confirmations_device ON purge_confirmations (device_id);

-- An erased person's row stays, without alias, birth year or gender, so
-- that reports still count their contacts (as an unnamed id); rebuilding
-- the projections keeps it.
ALTER TABLE p_persons ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
