#!/usr/bin/env bash
# bench/catchup-cpu.sh [N]: where a projector catch-up spends its time. Fills a database of its own with N
# score submissions sent by 1,000 users (10 games x 2 regions x 4 periods, players uniform over
# 100,000, or log-uniform with PLAYERS=skewed as in make bench's second catch-up row), runs the release
# projector from an empty key prefix to the head of the log, and prints the wall time, the projector's
# and Redis's CPU seconds, and Redis's busiest commands (inside the Function too).
# Needs `cargo build --release -p projector`; PROJECTOR=<wrapper> runs it under a profiler.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
case "${PLAYERS:-uniform}" in
  uniform) player_sql="'p' || (n % 100000)" ;;
  skewed) player_sql="'p' || floor(power(100000, random()))::int" ;;
  *) echo "PLAYERS is uniform or skewed" >&2; exit 2 ;;
esac
DB=reprise_catchup
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres 2>/dev/null
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" postgres
export REPRISE_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
target/release/projector migrate >/dev/null
psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$DB" <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'score', 'job-' || n, 1, 'ScoreSubmitted', '1',
       json_build_object('ScoreSubmitted', json_build_object('game', 'g' || (n % 10), 'player', $player_sql,
         'score', (n * 7919) % 1000000, 'region', CASE WHEN n % 2 = 0 THEN 'eu' ELSE 'us' END,
         'achievedAt', to_char(now() - make_interval(secs => n % 86400), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'requestHash', 'h')),
       json_build_object('job_id', 'job-' || n, 'user_id', 'u' || (n % 1000))
FROM generate_series(1::bigint, $N::bigint) AS n;
SQL
head=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT transaction_id::text || ':' || position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1" "$DB")
prefix="catchup:$(date +%s):"
# However the script ends (a reader of its output gone, Ctrl-C), the projector stops and its keys go:
# a million-event run leaves millions of them, which every SCAN on this Redis would wade through.
projector=
cleanup() {
  [ -n "$projector" ] && kill -TERM "$projector" 2>/dev/null && wait "$projector" 2>/dev/null
  redis-cli --scan --pattern "${prefix}*" | xargs -r -n 1000 redis-cli unlink >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
redis_cpu() { redis-cli info cpu | awk -F: '/used_cpu_user:|used_cpu_sys:/ {s += $2} END {print s}'; }
redis-cli config resetstat >/dev/null
redis_before=$(redis_cpu)
started=$(date +%s.%N)
REPRISE_REDIS__KEY_PREFIX="$prefix" REPRISE_PROJECTOR__HEALTH_ADDR=127.0.0.1:0 RUST_LOG=warn \
  ${PROJECTOR:-target/release/projector} &
projector=$!
until [ "$(redis-cli get "${prefix}gen1:projector:checkpoint")" = "$head" ]; do sleep 0.05; done
finished=$(date +%s.%N)
projector_cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$projector/stat")
kill -TERM $projector; wait $projector || true
projector=
awk -v n="$N" -v a="$started" -v b="$finished" -v p="$projector_cpu" -v r0="$redis_before" -v r1="$(redis_cpu)" \
  'BEGIN {printf "%d events in %.2f s: %.0f events/s; projector CPU %.2f s, Redis CPU %.2f s\n", n, b - a, n / (b - a), p, r1 - r0}'
redis-cli info commandstats | grep '^cmdstat' | sort -t= -k3 -n -r | head -8
