-- pgbench: the single-event append a score submission commits (one INSERT, autocommit).
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
VALUES ('score', gen_random_uuid()::text, 1, 'ScoreSubmitted', '1',
        '{"ScoreSubmitted":{"game":"bench","player":"p1","score":1,"region":"eu","achievedAt":"2026-11-23T10:00:00Z","requestHash":"h"}}',
        '{"job_id":"x"}');
