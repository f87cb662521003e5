-- The referral space of two organisations names the other organisation;
-- the device puts nothing there but referrals.
ALTER TABLE spaces ADD COLUMN partner TEXT;
