-- Records the person opened, waiting to be reported to the server's audit
-- log at the next sync. Each row is sealed with the data key (AAD "read"):
-- which person was looked at is itself sensitive.
CREATE TABLE reads (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    sealed BLOB NOT NULL
);
