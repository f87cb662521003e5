-- "These are different people": pairs a worker (at the duplicate warning)
-- or the office (at the duplicate finder) said are not duplicates, from
-- each person's `distinct_from` marks. The duplicate finder never proposes
-- a pair found here in either order.
CREATE TABLE p_distinct (
    person_id TEXT NOT NULL,
    other_id  TEXT NOT NULL,
    PRIMARY KEY (person_id, other_id)
);
