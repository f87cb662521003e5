-- Odnowa sync server, PostgreSQL (the same schema as SQLite). Ids are hyphenated UUID text; instants are
-- milliseconds since the Unix epoch; flags are 0/1 integers.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE spaces (
    id         TEXT PRIMARY KEY,
    org_id     TEXT REFERENCES orgs (id),
    name       TEXT NOT NULL UNIQUE,
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    org_id     TEXT REFERENCES orgs (id),
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE grants (
    user_id   TEXT NOT NULL REFERENCES users (id),
    space_id  TEXT NOT NULL REFERENCES spaces (id),
    can_write BIGINT NOT NULL,
    PRIMARY KEY (user_id, space_id)
);

CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE enrol_codes (
    code_hash  TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    device_id  TEXT
);

CREATE TABLE docs (
    id           TEXT PRIMARY KEY,
    space_id     TEXT NOT NULL REFERENCES spaces (id),
    kind         TEXT NOT NULL,
    generation   BIGINT NOT NULL DEFAULT 0,
    change_count BIGINT NOT NULL DEFAULT 0,
    snapshot     BYTEA,
    snapshot_seq BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX docs_space ON docs (space_id, id);

CREATE TABLE changes (
    hash        BYTEA PRIMARY KEY,
    doc_id      TEXT NOT NULL REFERENCES docs (id),
    space_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    device_id   TEXT,
    bytes       BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    UNIQUE (space_id, seq)
);
CREATE INDEX changes_doc ON changes (doc_id, seq);

CREATE TABLE quarantine (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    device_id TEXT,
    user_id   TEXT,
    doc_id    TEXT NOT NULL,
    space_id  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    code      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    payload   BYTEA NOT NULL
);

CREATE TABLE audit (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        BIGINT NOT NULL,
    user_id   TEXT,
    device_id TEXT,
    doc_id    TEXT,
    action    TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_doc ON audit (doc_id, at);
CREATE INDEX audit_user ON audit (user_id, at);
