-- A claim may lapse at a fixed time whatever its holder does: a unique job's `uniqueFor` window.
-- NULL: the claim lasts until its holder ends (a final job, a deleted channel) or forever (users).
ALTER TABLE unique_claims ADD COLUMN expires_at timestamptz;
