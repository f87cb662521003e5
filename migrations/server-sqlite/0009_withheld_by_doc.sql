-- Live updates ask, for each registry entry that changed, whether a device
-- dropped it while it was withheld: by document, not by device.
CREATE INDEX withheld_purges_doc ON withheld_purges (doc_id);
