-- What every exchange reads, by index rather than by scanning the table:
-- a device's spaces (its organisation's own and its referral spaces: a
-- consortium of n members has some n² of those), and the registry entries
-- withheld from other organisations (a handful among all persons).
CREATE INDEX spaces_org ON spaces (org_id);
CREATE INDEX spaces_partner ON spaces (partner_org);
CREATE INDEX p_persons_withheld ON p_persons (consent_org)
    WHERE details_hidden = 1 AND erased = 0 AND consent_org IS NOT NULL;
