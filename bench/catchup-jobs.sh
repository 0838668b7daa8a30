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
DB=reprise_catchup_jobs
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres 2>/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" postgres
export REPRISE_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
target/release/projector migrate >/dev/null
append() { psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$DB"; }
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
head=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT transaction_id::text || ':' || position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1" "$DB")
prefix="catchupjobs:$(date +%s):"
projector=
cleanup() {
  [ -n "$projector" ] && kill -TERM "$projector" 2>/dev/null && wait "$projector" 2>/dev/null
  redis-cli --scan --pattern "${prefix}*" | xargs -r -n 1000 redis-cli unlink >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
redis_cpu() { redis-cli info cpu | awk -F: '/used_cpu_user:|used_cpu_sys:/ {s += $2} END {print s}'; }
redis_before=$(redis_cpu)
started=$(date +%s.%N)
REPRISE_REDIS__KEY_PREFIX="$prefix" REPRISE_PROJECTOR__HEALTH_ADDR=127.0.0.1:0 RUST_LOG=warn "$PROJECTOR" &
projector=$!
deadline=$((SECONDS + 600))
until [ "$(redis-cli get "${prefix}gen1:projector:checkpoint")" = "$head" ]; do
  ((SECONDS < deadline)) || { echo "the projector did not reach the head" >&2; exit 1; }
  sleep 0.05
done
finished=$(date +%s.%N)
projector_cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$projector/stat")
awk -v n="$N" -v a="$started" -v b="$finished" -v p="$projector_cpu" -v r0="$redis_before" -v r1="$(redis_cpu)" \
  'BEGIN {printf "%d jobs in %.2f s; projector %.1f us a job, Redis %.1f us a job\n", n, b - a, p * 1e6 / n, (r1 - r0) * 1e6 / n}'
