-- Odnowa device replica, SQLite (WAL, synchronous=FULL).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per document: its saved Automerge bytes and what the server has
-- confirmed (change hashes, hex, comma-separated).
CREATE TABLE docs (
    id         TEXT PRIMARY KEY,
    space      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    bytes      BLOB NOT NULL,
    confirmed  TEXT NOT NULL DEFAULT '',
    -- 1 while the document holds changes the server has not confirmed.
    dirty      INTEGER NOT NULL,
    -- Why the server refused the last push; pushed again only after a new local edit.
    refused    TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX docs_kind ON docs (kind, space);
CREATE INDEX docs_dirty ON docs (dirty);

CREATE TABLE cursors (
    space          TEXT PRIMARY KEY,
    epoch          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    snapshot_after TEXT,
    snapshot_upto  INTEGER
);

CREATE TABLE spaces (
    space     TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    can_write INTEGER NOT NULL
);
