-- What a device must not show it must not hold. After a person withdraws
-- their consent, their registry entry reaches only devices of the
-- organisation that recorded it (consent_org; '' for a consent recorded
-- outside any organisation; NULL while the consent is in force, and for
-- rows projected before this migration until `admin rebuild-projections`).
ALTER TABLE p_persons ADD COLUMN consent_org TEXT;

-- Devices of other organisations drop the entry (a purge) and confirm it
-- here. Should the entry become visible to them again (a new consent), the
-- server sends it whole once more (resent_upto: the registry feed position
-- at which it did; the row goes once the device's cursor has passed it).
CREATE TABLE withheld_purges (
    device_id   TEXT NOT NULL,
    doc_id      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    resent_upto BIGINT,
    PRIMARY KEY (device_id, doc_id)
);
