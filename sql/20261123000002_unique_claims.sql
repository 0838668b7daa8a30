-- Consistent uniqueness for values aggregates cannot guard alone (a user's e-mail and user name).
-- A claim is taken before the claimant's first event; a claim whose claimant never came into being
-- (a crash between the two) may be taken over after a minute.
CREATE TABLE unique_claims (
  kind       text        NOT NULL,
  value      text        NOT NULL,
  user_id    text        NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, value)
);
