#!/usr/bin/env bash
# make bench: each figure beside its baseline, measured in the same run, written to bench/RESULTS.md.
# Needs the stack from `make up` (nginx on :8080). Leaves it as it found it (benchmark data goes to a
# game named `bench`, a database `reprise_bench` and Redis keys under `bench:`, all removed at the end).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
source scripts/lib.sh
DURATION=${BENCH_SECONDS:-10}
BACKLOG=${BENCH_BACKLOG:-1000000}
OUT="$VAR/bench"
mkdir -p "$OUT"
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v pgbench >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib >/dev/null; }
curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || { echo "start the stack first: make up" >&2; exit 1; }

wrk_figures() { # prints "req/s p99_ms"
  awk '/Requests\/sec/ {rps=$2} /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; p99=v} END {printf "%.0f %.2f\n", rps, p99}' "$1"
}
pgbench_tps() { awk '/^tps/ {printf "%.0f\n", $3}' "$1"; }

# settle: waits until the stack's projector has projected everything, so one figure's backlog does not
# weigh on the next one's measurement.
settle() {
  local deadline=$((SECONDS + 300))
  until curl -fsS http://127.0.0.1:9101/metrics 2>/dev/null | grep -q '^projector_lag_events 0$'; do
    ((SECONDS < deadline)) || { echo "the projector did not catch up" >&2; return 1; }
    sleep 0.5
  done
}

# However the run ends, what it made goes: a catch-up projector still running, the keys under `bench:`
# (a catch-up leaves millions, which every SCAN on this Redis would wade through) and the database.
catch_up_projector=
cleanup() {
  [ -n "$catch_up_projector" ] && kill -TERM "$catch_up_projector" 2>/dev/null && wait "$catch_up_projector" 2>/dev/null
  redis-cli -h 127.0.0.1 --scan --pattern 'bench:*' | xargs -r -n 1000 redis-cli -h 127.0.0.1 unlink >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS reprise_bench WITH (FORCE)" postgres
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

rss_idle=$(bench/rss.sh)

say "preparing the baseline database"
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS reprise_bench WITH (FORCE)" postgres
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE reprise_bench" postgres
REPRISE_DATABASE__URL=postgres://postgres@127.0.0.1:5432/reprise_bench target/release/projector migrate >/dev/null

say "signing up a benchmark user"
bench_user="bench-$(date +%s)-$$"
export BENCH_TOKEN=$(curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$bench_user@example.com\",\"password\":\"benchmark\",\"passwordConf\":\"benchmark\",\"userName\":\"$bench_user\"}" \
  http://127.0.0.1:8080/v1/users | awk 'tolower($1) == "authorization:" {print $3}' | tr -d '\r')

rows=()
say "POST /v1/scores through nginx vs pgbench's single-event append"
for c in 8 32 64; do
  settle
  # Without TLS, as the services talk to a local Postgres (database.url's sslmode=disable).
  PGSSLMODE=disable pgbench -h 127.0.0.1 -U postgres -n -c "$c" -j 2 -T "$DURATION" -f bench/append.sql reprise_bench >"$OUT/pgbench-$c.txt" 2>&1 ||
    { cat "$OUT/pgbench-$c.txt" >&2; exit 1; }
  settle
  wrk -t 2 -c "$c" -d "${DURATION}s" --latency -s bench/post_score.lua http://127.0.0.1:8080 >"$OUT/post-$c.txt"
  read -r rps p99 < <(wrk_figures "$OUT/post-$c.txt")
  tps=$(pgbench_tps "$OUT/pgbench-$c.txt")
  rows+=("| POST /v1/scores, $c connections | $rps req/s, p99 $p99 ms | pgbench append: $tps tps | $(awk -v a="$rps" -v b="$tps" 'BEGIN {printf "%.0f%%", 100*a/b}') (target ≥ 60%) |")
done

# The time from a score's 202 to its job's `succeeded`, at a steady 1,000 submissions/s: datagen sends
# open loop (Poisson arrivals on schedule however the server answers) and follows each job with
# `Prefer: wait` long polls.
say "202 → succeeded of score submissions at 1,000/s"
settle
target/release/datagen --duration "${DURATION}s" --rate 1000 --reads 0 --scores 100 --polls 0 \
  --job-watchers 1000 --json "$OUT/latency.json" >"$OUT/latency.txt" 2>&1
rows+=("$(python3 - "$OUT/latency.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
jobs, post = summary["jobs"], max(summary["kinds"], key=lambda kind: kind["sent"])
p = jobs["acceptedToSucceededMs"]
print(f"| 202 → `succeeded` of score submissions at {summary['achievedRate']:.0f}/s for {summary['sendingSeconds']:.0f} s "
      f"(open loop, datagen): {jobs['accepted']} accepted, {jobs['watched']} followed, {jobs['succeeded']} succeeded "
      f"| p50 {p['p50']:.1f} ms, p99 {p['p99']:.1f} ms, max {p['max']:.1f} ms (the POST itself: p99 {post['latencyMs']['p99']:.1f} ms) "
      f"| — | target p99 < 100 ms |")
PY
)")

# Jobs end to end: POST /v1/jobs through nginx for the figure's duration with the stack's worker
# running (continuous), then the time until the worker has finished every one of them.
say "jobs: POST /v1/jobs → succeeded with the running worker"
finished_jobs() {
  curl -fsS http://127.0.0.1:9105/metrics | awk '/^jobs_finished_total\{/ {n += $2} END {printf "%.0f\n", n}'
}
jobs_before=$(finished_jobs)
jobs_started=$(date +%s.%N)
wrk -t 2 -c 32 -d "${DURATION}s" --latency -s bench/post_job.lua http://127.0.0.1:8080 >"$OUT/post-jobs.txt"
read -r jobs_rps jobs_p99 < <(wrk_figures "$OUT/post-jobs.txt")
jobs_sent=$(awk '/requests in/ {print $1}' "$OUT/post-jobs.txt")
jobs_failed=$(awk '/Non-2xx/ {print $5}' "$OUT/post-jobs.txt")
jobs_accepted=$((jobs_sent - ${jobs_failed:-0}))
deadline=$((SECONDS + 600))
until (( $(finished_jobs) - jobs_before >= jobs_accepted )); do
  ((SECONDS < deadline)) || { echo "the worker did not finish the jobs" >&2; exit 1; }
  sleep 0.2
done
jobs_done=$(date +%s.%N)
jobs_seconds=$(awk -v a="$jobs_started" -v b="$jobs_done" 'BEGIN {printf "%.1f", b-a}')
jobs_rate=$(awk -v n="$jobs_accepted" -v s="$jobs_seconds" 'BEGIN {printf "%.0f", n/s}')
tps32=$(pgbench_tps "$OUT/pgbench-32.txt")
rows+=("| jobs end to end, 32 connections: $jobs_accepted \`message\` jobs POSTed for ${DURATION} s ($jobs_rps req/s, p99 $jobs_p99 ms), all succeeded after $jobs_seconds s | $jobs_rate jobs/s from the first POST to the last success | pgbench append: $tps32 tps | $(awk -v a="$jobs_rate" -v b="$tps32" 'BEGIN {printf "%.0f%%", 100*a/b}') (target ≥ 40%) |")
settle

source bench/bulk-jobs.sh
settle

source bench/conversions.sh
rss_loaded=$(bench/rss.sh)

say "GET /v1/leaderboards/bench through nginx vs nginx serving the same bytes as a file"
settle
curl -fsS http://127.0.0.1:8080/v1/leaderboards/bench >"$OUT/board.json"
static_port=8089
mkdir -p "$OUT/static/tmp"
cp "$OUT/board.json" "$OUT/static/board.json"
cat >"$OUT/static/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $OUT/static/nginx.pid;
error_log $OUT/static/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/static/tmp; proxy_temp_path $OUT/static/tmp; fastcgi_temp_path $OUT/static/tmp;
  uwsgi_temp_path $OUT/static/tmp; scgi_temp_path $OUT/static/tmp;
  server { listen 127.0.0.1:$static_port; location / { root $OUT/static; default_type application/json; } }
}
CONF
nginx -p "$OUT/static" -c "$OUT/static/nginx.conf" -e "$OUT/static/error.log"
sleep 0.3
wrk -t 2 -c 32 -d "${DURATION}s" --latency http://127.0.0.1:8080/v1/leaderboards/bench >"$OUT/get-board.txt"
wrk -t 2 -c 32 -d "${DURATION}s" --latency "http://127.0.0.1:$static_port/board.json" >"$OUT/get-static.txt"
nginx -p "$OUT/static" -c "$OUT/static/nginx.conf" -s quit
redis-cli -h 127.0.0.1 set bench:board "$(cat "$OUT/board.json")" >/dev/null
redis_rps=$(redis-benchmark -h 127.0.0.1 -c 32 -n 200000 -q -t get 2>/dev/null | tr '\r' '\n' | awk '/requests per second/ {rps=$2} END {print rps}')
redis-cli -h 127.0.0.1 del bench:board >/dev/null
read -r board_rps board_p99 < <(wrk_figures "$OUT/get-board.txt")
read -r static_rps static_p99 < <(wrk_figures "$OUT/get-static.txt")
bytes=$(wc -c <"$OUT/board.json")
rows+=("| GET /v1/leaderboards/bench (top 100, $bytes bytes), 32 connections | $board_rps req/s, p99 $board_p99 ms | nginx static file: $static_rps req/s, p99 $static_p99 ms; redis-benchmark GET: $redis_rps req/s | $(awk -v a="$board_rps" -v b="$static_rps" 'BEGIN {printf "%.0f%%", 100*a/b}') (target ≥ 40%) |")

# catch_up LABEL PLAYER_SQL: fills reprise_bench with $BACKLOG score submissions whose players are drawn by
# PLAYER_SQL, and times a release projector from an empty Redis prefix to the head of the log.
catch_up() {
  local label=$1 player_sql=$2
  say "projector catch-up of a $BACKLOG-event backlog, $label"
  psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 reprise_bench <<SQL
TRUNCATE events;
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'score', 'job-' || n, 1, 'ScoreSubmitted', '1',
       json_build_object('ScoreSubmitted', json_build_object('game', 'g' || (n % 10), 'player', $player_sql,
         'score', (n * 7919) % 1000000, 'region', CASE WHEN n % 2 = 0 THEN 'eu' ELSE 'us' END,
         'achievedAt', to_char(now() - make_interval(secs => n % 86400), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'requestHash', 'h')),
       json_build_object('job_id', 'job-' || n, 'user_id', 'u' || (n % 1000))
FROM generate_series(1::bigint, $BACKLOG::bigint) AS n;
SQL
  local head prefix started finished seconds rate
  head=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT transaction_id::text || ':' || position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1" reprise_bench)
  prefix="bench:$(date +%s):"
  started=$(date +%s.%N)
  REPRISE_DATABASE__URL=postgres://postgres@127.0.0.1:5432/reprise_bench REPRISE_REDIS__KEY_PREFIX="$prefix" \
    REPRISE_PROJECTOR__HEALTH_ADDR=127.0.0.1:0 RUST_LOG=warn target/release/projector &
  catch_up_projector=$!
  until [ "$(redis-cli -h 127.0.0.1 get "${prefix}gen1:projector:checkpoint")" = "$head" ]; do sleep 0.05; done
  finished=$(date +%s.%N)
  kill -TERM $catch_up_projector; wait $catch_up_projector || true
  catch_up_projector=
  seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN {printf "%.1f", b-a}')
  rate=$(awk -v n="$BACKLOG" -v s="$seconds" 'BEGIN {printf "%.0f", n/s}')
  rows+=("| projector catch-up, $BACKLOG score submissions, $label (10 games × 2 regions × 4 periods, sent by 1,000 users) | $rate events/s ($seconds s from an empty Redis: also the full rebuild time) | — | target ≥ 30,000 events/s |")
  redis-cli -h 127.0.0.1 --scan --pattern "${prefix}*" | xargs -r -n 1000 redis-cli -h 127.0.0.1 unlink >/dev/null
}
catch_up "players uniform over 100,000 (worst case: nothing folds)" "'p' || (n % 100000)"
catch_up "players log-uniform over 100,000 (skewed, as real traffic)" "'p' || floor(power(100000, random()))::int"
source bench/rebuild.sh

rows+=("| resident memory (RSS) of each service, idle at the start → after the POST, jobs and conversion figures | $(paste -d' ' <(echo "$rss_idle") <(echo "$rss_loaded") | awk '{printf "%s%s %s → %s MiB", sep, $1, $2, $4; sep="; "}') | — | — |")

{
  echo "# Benchmark results"
  echo
  echo "Measured by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB,"
  echo "$(uname -sr); load generator on the same machine; ${DURATION} s per figure; release build."
  echo
  echo "| figure | measured | baseline in the same run | ratio |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Raw outputs of the last run are in \`var/bench/\`. Reproduce with \`make up && make bench\`."
} >bench/RESULTS.md
cat bench/RESULTS.md
