-- Which person a case-notes record is about, so that the audit log can be
-- listed per person (changes and reads of their case notes) and an erasure
-- finds them.
CREATE TABLE p_case_notes (
    doc_id    TEXT PRIMARY KEY,
    person_id TEXT NOT NULL
);
CREATE INDEX p_case_notes_person ON p_case_notes (person_id);
CREATE INDEX audit_device ON audit (device_id, at);

-- A person who withdrew consent: the office's rows keep no alias, birth
-- year or gender (the devices of the organisation that recorded the
-- consent still show them).
ALTER TABLE p_persons ADD COLUMN details_hidden BIGINT NOT NULL DEFAULT 0;
