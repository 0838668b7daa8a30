# Sourced by bench/run.sh (which defines say, rows, OUT, BENCH_TOKEN, finished_jobs, settle): bulk
# enqueue of BULK_JOBS no-op `message` jobs through POST /v1/jobs/batch (1,000 a request, BULK_PARALLEL
# requests at once) beside pgbench's multi-row INSERT of the same number of rows (1,000 a transaction,
# as many clients), and the CPU each job cost every process of the stack.
BULK_JOBS=${BULK_JOBS:-100000}
BULK_PARALLEL=${BULK_PARALLEL:-4}
batches=$((BULK_JOBS / 1000))

say "bulk enqueue: $BULK_JOBS jobs through POST /v1/jobs/batch vs pgbench's multi-row INSERT"
python3 - "$OUT/batch.json" <<'PY'
import json, sys
json.dump({"jobs": [{"message": f"bulk job {n}"} for n in range(1000)]}, open(sys.argv[1], "w"))
PY
{
  for n in $(seq 1 "$batches"); do
    echo 'url = "http://127.0.0.1:8080/v1/jobs/batch"'
    echo "header = \"Authorization: Bearer $BENCH_TOKEN\""
    echo 'header = "Content-Type: application/json"'
    echo "data-binary = \"@$OUT/batch.json\""
    echo "output = \"/dev/null\""
    echo 'write-out = "%{http_code}\n"'
    [ "$n" -lt "$batches" ] && echo next
  done
} >"$OUT/batch.curl"

# The same rows as the batch appends (a JobQueued payload and its metadata), 1,000 a transaction.
cat >"$OUT/bulk-append.sql" <<'SQL'
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'job', gen_random_uuid()::text, 1, 'JobQueued', '1',
       '{"JobQueued":{"spec":{"kind":"message","message":"bulk job","priority":5,"runAt":null,"maxAttempts":3,"payload":null,"owner":"u","requestHash":"h"},"queued_at":"2026-12-06T12:00:00Z"}}',
       '{"job_id":"x","user_id":"u"}'
FROM generate_series(1, 1000);
SQL
settle
PGSSLMODE=disable pgbench -h 127.0.0.1 -U postgres -n -c "$BULK_PARALLEL" -j 2 -t $((batches / BULK_PARALLEL)) \
  -f "$OUT/bulk-append.sql" reprise_bench >"$OUT/pgbench-bulk.txt" 2>&1 || { cat "$OUT/pgbench-bulk.txt" >&2; exit 1; }
bulk_rows=$(awk '/^tps/ {printf "%.0f\n", $3 * 1000}' "$OUT/pgbench-bulk.txt")

settle
source bench/cpu-ticks.sh
bulk_before=$(finished_jobs)
stack_cpu_ticks >"$OUT/bulk-ticks-before.txt"
bulk_started=$(date +%s.%N)
curl -sS --parallel --parallel-max "$BULK_PARALLEL" --config "$OUT/batch.curl" >"$OUT/batch-codes.txt"
bulk_enqueued=$(date +%s.%N)
accepted_batches=$(grep -c '^202$' "$OUT/batch-codes.txt" || true)
[ "$accepted_batches" -eq "$batches" ] || { echo "only $accepted_batches of $batches batches were accepted" >&2; exit 1; }
deadline=$((SECONDS + 600))
until (( $(finished_jobs) - bulk_before >= BULK_JOBS )); do
  ((SECONDS < deadline)) || { echo "the worker did not finish the bulk jobs" >&2; exit 1; }
  sleep 0.2
done
bulk_done=$(date +%s.%N)
settle
stack_cpu_ticks >"$OUT/bulk-ticks-after.txt"
# Each program's share, in ms of CPU a job, largest first ("postgres 0.104, redis-server 0.172, …").
bulk_by_process=$(join <(sort "$OUT/bulk-ticks-before.txt") <(sort "$OUT/bulk-ticks-after.txt") |
  awk -v hz="$(getconf CLK_TCK)" -v n="$BULK_JOBS" '{printf "%s %.3f\n", $1, ($3 - $2) / hz * 1000 / n}' |
  sort -k2 -n -r | awk '{printf "%s%s %s", sep, $1, $2; sep = ", "}')
ticks_before=$(awk '{t += $2} END {print t}' "$OUT/bulk-ticks-before.txt")
ticks_after=$(awk '{t += $2} END {print t}' "$OUT/bulk-ticks-after.txt")
bulk_enqueue_rate=$(awk -v n="$BULK_JOBS" -v a="$bulk_started" -v b="$bulk_enqueued" 'BEGIN {printf "%.0f", n/(b-a)}')
bulk_rate=$(awk -v n="$BULK_JOBS" -v a="$bulk_started" -v b="$bulk_done" 'BEGIN {printf "%.0f", n/(b-a)}')
bulk_cpu=$(awk -v t="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" -v n="$BULK_JOBS" 'BEGIN {printf "%.3f", t/hz*1000/n}')
rows+=("| bulk enqueue: $BULK_JOBS \`message\` jobs in $batches POST /v1/jobs/batch of 1,000 ($BULK_PARALLEL at once) through nginx, worker running | $bulk_enqueue_rate jobs/s from the first request to the last 202; $bulk_rate jobs/s to the last success; $bulk_cpu ms CPU per job, every process (enqueue, projection, relay, run, completion): $bulk_by_process | pgbench multi-row INSERT, 1,000 rows a transaction, $BULK_PARALLEL clients: $bulk_rows rows/s | $(awk -v a="$bulk_enqueue_rate" -v b="$bulk_rows" 'BEGIN {printf "%.0f%%", 100*a/b}') (target ≥ 8,600 jobs/s, < 0.2 ms CPU a job) |")
