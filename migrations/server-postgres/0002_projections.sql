-- Projections (PostgreSQL; the same schema as SQLite): the current state
-- of every record as relational rows, for the office pages and the reports.
-- Written in the same transaction that
-- stores a document's changes (store::Db::append); `odnowa-sync admin
-- rebuild-projections` rewrites them all from the stored documents.
-- Days are Europe/Warsaw calendar days as 'YYYY-MM-DD' text, computed in
-- `odnowa_shared::projection`, so no SQL depends on a time-zone database.

-- One row per person document.
CREATE TABLE p_persons (
    id           TEXT PRIMARY KEY,
    alias        TEXT NOT NULL,
    alias_folded TEXT NOT NULL,
    birth_year   BIGINT,
    gender       TEXT NOT NULL,
    merged_into  TEXT,
    created_at   BIGINT NOT NULL,
    created_day  TEXT NOT NULL
);
CREATE INDEX p_persons_merged ON p_persons (merged_into);
CREATE INDEX p_persons_folded ON p_persons (alias_folded);

-- One row per contact, day session or workshop.
CREATE TABLE p_records (
    doc_id          TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    space_id        TEXT NOT NULL,
    org_id          TEXT,
    site_id         TEXT,
    worker_id       TEXT,
    at              BIGINT NOT NULL,
    day             TEXT NOT NULL,
    place           TEXT NOT NULL,
    anonymous_count BIGINT NOT NULL,
    -- Hours delivered, in minutes: a contact's duration; the sum of the
    -- participants' hours of a workshop; the sum of check-in to check-out
    -- of a day session's attendance.
    minutes         BIGINT NOT NULL,
    -- When the server first accepted a change of this record.
    first_seen_at   BIGINT NOT NULL
);
CREATE INDEX p_records_day ON p_records (day);
CREATE INDEX p_records_org_day ON p_records (org_id, day);

-- Services delivered by a record (day sessions deliver 'day_room',
-- workshops 'workshop', contacts the codes ticked).
CREATE TABLE p_record_services (
    doc_id   TEXT NOT NULL,
    service  TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    day      TEXT NOT NULL,
    PRIMARY KEY (doc_id, service)
);
CREATE INDEX p_record_services_day ON p_record_services (day, service);

-- Persons a record names: met at a contact, present at a day session,
-- taking part in a workshop.
CREATE TABLE p_record_persons (
    doc_id    TEXT NOT NULL,
    person_id TEXT NOT NULL,
    minutes   BIGINT NOT NULL,
    day       TEXT NOT NULL,
    PRIMARY KEY (doc_id, person_id)
);
CREATE INDEX p_record_persons_person ON p_record_persons (person_id, day);
CREATE INDEX p_record_persons_day ON p_record_persons (day);

-- A report as submitted to the city: its figures as they were then.
CREATE TABLE frozen_reports (
    period     TEXT PRIMARY KEY,
    frozen_at  BIGINT NOT NULL,
    frozen_by  TEXT NOT NULL,
    figures    TEXT NOT NULL
);
