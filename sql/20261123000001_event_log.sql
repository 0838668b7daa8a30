-- The event log: postgres-es's table plus the columns that let readers follow it in commit order.
CREATE TABLE events (
  aggregate_type text   NOT NULL,
  aggregate_id   text   NOT NULL,
  sequence       bigint NOT NULL CHECK (sequence >= 0),
  event_type     text   NOT NULL,
  event_version  text   NOT NULL,
  payload        json   NOT NULL,
  metadata       json   NOT NULL,
  position       bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id xid8   NOT NULL DEFAULT pg_current_xact_id(),
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_stream_order ON events (transaction_id, position);

-- Wakes readers once per inserting statement; a slow poll covers a lost notification.
CREATE FUNCTION notify_event_readers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('events', '');
  RETURN NULL;
END
$$;

CREATE TRIGGER events_notify_readers
  AFTER INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION notify_event_readers();

-- How far each Postgres-checkpointed reader (the relay) has read.
CREATE TABLE subscriptions (
  name           text PRIMARY KEY,
  transaction_id xid8   NOT NULL,
  position       bigint NOT NULL
);

-- Fencing tokens of single-active readers: each new leader takes a larger one.
CREATE TABLE fencing_tokens (
  name  text PRIMARY KEY,
  token bigint NOT NULL
);
