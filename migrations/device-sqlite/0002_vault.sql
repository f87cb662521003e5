-- Encryption at rest (engine/vault.rs). Record bytes (`docs.bytes`),
-- refusal reasons (`docs.refused`, base64) and `secrets` are sealed with
-- the data key; the data key is stored only wrapped under a key derived
-- from the PIN. What stays readable without the PIN: ids, kinds, spaces
-- and their names, sync cursors, counts, and the rows below.

CREATE TABLE keyring (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    salt    BLOB NOT NULL,
    m_kib   INTEGER NOT NULL,
    t_cost  INTEGER NOT NULL,
    p_cost  INTEGER NOT NULL,
    -- The data key sealed under the PIN key.
    wrapped BLOB NOT NULL,
    -- Wrong PINs since the last right one; at 10 the local data is wiped.
    failed  INTEGER NOT NULL DEFAULT 0
);

-- Values sealed with the data key, associated data `meta/<key>`
-- (the identity with the device token).
CREATE TABLE secrets (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
