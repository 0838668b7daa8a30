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
source bench/catchup-lib.sh
catchup_database reprise_catchup
psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$catchup_db" <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'score', 'job-' || n, 1, 'ScoreSubmitted', '1',
       json_build_object('ScoreSubmitted', json_build_object('game', 'g' || (n % 10), 'player', $player_sql,
         'score', (n * 7919) % 1000000, 'region', CASE WHEN n % 2 = 0 THEN 'eu' ELSE 'us' END,
         'achievedAt', to_char(now() - make_interval(secs => n % 86400), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'requestHash', 'h')),
       json_build_object('job_id', 'job-' || n, 'user_id', 'u' || (n % 1000))
FROM generate_series(1::bigint, $N::bigint) AS n;
SQL
redis-cli config resetstat >/dev/null
catchup_run "${PROJECTOR:-target/release/projector}" "catchup:$(date +%s):"
awk -v n="$N" -v t="$catchup_seconds" -v p="$projector_cpu" -v r="$redis_cpu_used" \
  'BEGIN {printf "%d events in %.2f s: %.0f events/s; projector CPU %.2f s, Redis CPU %.2f s\n", n, t, n / t, p, r}'
redis-cli info commandstats | grep '^cmdstat' | sort -t= -k3 -n -r | head -8
