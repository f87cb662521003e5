-- Office logins: a password (Argon2id, PHC string) for office and
-- coordinator users, and their sessions. A session token is stored only as
-- its SHA-256, like device tokens. A session ends at expires_at, or when
-- it was idle longer than the server's idle timeout (last_seen_at).
ALTER TABLE users ADD COLUMN password_hash TEXT;

CREATE TABLE office_sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX office_sessions_user ON office_sessions (user_id);
CREATE INDEX audit_action ON audit (action, at);
