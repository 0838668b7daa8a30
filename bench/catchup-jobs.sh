#!/usr/bin/env bash
# bench/catchup-jobs.sh [N] [PROJECTOR]: what projecting worker jobs costs Redis and the projector. Fills a
# database of its own with N `message` jobs queued, then the same N succeeded (QUEUED_ONLY=1: queued
# only), runs the release projector (or PROJECTOR, another build of it) from an empty key prefix to the
# head of the log, and prints the wall time and the projector's and Redis's CPU per job. Redis's CPU
# counts every client of the machine's Redis: run it on a quiet stack, builds alternated.
# Needs `cargo build --release -p projector`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50000}
PROJECTOR=${2:-target/release/projector}
source bench/catchup-lib.sh
catchup_database reprise_catchup_jobs
append() { psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$catchup_db"; }
append <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'job', 'job-' || n, 1, 'JobQueued', '1',
       json_build_object('JobQueued', json_build_object('spec', json_build_object('kind', 'message',
         'owner', 'u' || (n % 10), 'runAt', null, 'message', 'bulk job ' || n, 'payload', null, 'priority', 5,
         'maxAttempts', 3, 'requestHash', 'h'), 'queued_at', '2026-12-07T00:58:03.527001Z')),
       json_build_object('job_id', 'job-' || n, 'user_id', 'u' || (n % 10))
FROM generate_series(1, $N) AS n;
SQL
[ -n "${QUEUED_ONLY:-}" ] || append <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'job', 'job-' || n, 2, 'JobSucceeded', '1',
       json_build_object('JobSucceeded', json_build_object('result', json_build_object('length', 12,
         'message', 'bulk job ' || n, 'processed', true), 'attempt', 1,
         'started_at', '2026-12-07T00:59:33.427669Z', 'finished_at', '2026-12-07T00:59:33.427673Z')),
       json_build_object('worker', 'w')
FROM generate_series(1, $N) AS n;
SQL
catchup_run "$PROJECTOR" "catchupjobs:$(date +%s):"
awk -v n="$N" -v t="$catchup_seconds" -v p="$projector_cpu" -v r="$redis_cpu_used" \
  'BEGIN {printf "%d jobs in %.2f s; projector %.1f us a job, Redis %.1f us a job\n", n, t, p * 1e6 / n, r * 1e6 / n}'
