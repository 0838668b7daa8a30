# Sourced by bench/catchup-cpu.sh and bench/catchup-jobs.sh: a database of the catch-up's own, and a
# projector run over it from an empty key prefix to the head of its log, measured.

# Creates database $1 (dropping an earlier one) with the log's tables, for the projector to read.
catchup_database() {
  catchup_db=$1
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $catchup_db WITH (FORCE)" postgres 2>/dev/null
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $catchup_db" postgres
  export REPRISE_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$catchup_db?sslmode=disable"
  target/release/projector migrate >/dev/null
}

# The CPU seconds Redis has used so far (every client's).
redis_cpu() { redis-cli info cpu | awk -F: '/used_cpu_user:|used_cpu_sys:/ {s += $2} END {print s}'; }

# However the script ends (a reader of its output gone, Ctrl-C), the projector stops and its keys and
# the database go: a million-event run leaves millions of keys, which every SCAN on this Redis would
# wade through.
catchup_projector=
catchup_prefix=
catchup_cleanup() {
  [ -n "$catchup_projector" ] && kill -TERM "$catchup_projector" 2>/dev/null && wait "$catchup_projector" 2>/dev/null
  [ -n "$catchup_prefix" ] && redis-cli --scan --pattern "${catchup_prefix}*" | xargs -r -n 1000 redis-cli unlink >/dev/null
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $catchup_db WITH (FORCE)" postgres
}

# Runs projector command $1 (its words split, so a profiler may wrap it) under key prefix $2 until its
# checkpoint is the head of the log (ten minutes at most), then stops it. Sets catchup_seconds, and
# projector_cpu and redis_cpu_used in seconds.
catchup_run() {
  catchup_prefix=$2
  trap catchup_cleanup EXIT
  trap 'exit 1' INT TERM HUP PIPE
  local head redis_before started finished deadline=$((SECONDS + 600))
  head=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT transaction_id::text || ':' || position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1" "$catchup_db")
  redis_before=$(redis_cpu)
  started=$(date +%s.%N)
  # shellcheck disable=SC2086 # the command's words are meant to split
  REPRISE_REDIS__KEY_PREFIX="$catchup_prefix" REPRISE_PROJECTOR__HEALTH_ADDR=127.0.0.1:0 RUST_LOG=warn $1 &
  catchup_projector=$!
  until [ "$(redis-cli get "${catchup_prefix}gen1:projector:checkpoint")" = "$head" ]; do
    ((SECONDS < deadline)) || { echo "the projector did not reach the head of the log" >&2; exit 1; }
    sleep 0.05
  done
  finished=$(date +%s.%N)
  projector_cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$catchup_projector/stat")
  kill -TERM "$catchup_projector"
  wait "$catchup_projector" || true
  catchup_projector=
  catchup_seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN {print b - a}')
  redis_cpu_used=$(awk -v a="$redis_before" -v b="$(redis_cpu)" 'BEGIN {print b - a}')
}
