-- Case work: referral spaces, and what the office counts of programmes and
-- referrals (odnowa_shared::projection::CaseFigures).

-- The referral space of two member organisations: `org_id` is one of
-- them, `partner_org` the other. Every field worker and coordinator of
-- the two reads and writes it; nobody else (odnowa_shared::access).
ALTER TABLE spaces ADD COLUMN partner_org TEXT REFERENCES orgs (id);

-- Case notes, diagnoses, programmes and referrals: which person each is
-- about (the audit log per person, the timeline, erasure).
ALTER TABLE p_case_notes ADD COLUMN kind TEXT NOT NULL DEFAULT 'case_notes';

-- One row per individual programme; its organisation is its space's.
CREATE TABLE p_programmes (
    doc_id    TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    org_id    TEXT,
    opened_on TEXT NOT NULL,
    agreed_on TEXT,
    closed_on TEXT,
    outcome   TEXT
);
-- The days a programme's reviews took place.
CREATE TABLE p_programme_reviews (
    doc_id      TEXT NOT NULL,
    reviewed_on TEXT NOT NULL
);
CREATE INDEX p_programme_reviews_doc ON p_programme_reviews (doc_id);

-- One row per referral. Days are Warsaw days of the instants.
CREATE TABLE p_referrals (
    doc_id      TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL,
    from_org    TEXT NOT NULL,
    to_org      TEXT,
    institution TEXT,
    service     TEXT,
    sent_at     BIGINT NOT NULL,
    sent_day    TEXT NOT NULL,
    accepted_at BIGINT,
    declined_at BIGINT,
    done_at     BIGINT
);
CREATE INDEX p_referrals_sent ON p_referrals (sent_day);
