-- The notifier's record of which conversion outcomes have been e-mailed, keyed by the event id the
-- message carries, so a redelivered message sends nothing twice. A row is claimed ('sending') before
-- the e-mail goes out and settled ('sent' or 'failed') after.
CREATE TABLE notifications (
  message_id text        PRIMARY KEY,
  state      text        NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
