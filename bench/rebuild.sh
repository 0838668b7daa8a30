# Sourced by bench/run.sh (which defines say, rows, OUT): a full `projector rebuild` of the stack's log,
# grown to $BACKLOG events, while datagen sends 200 requests/s through nginx; readers' errors must be 0.

say "projector rebuild of a $BACKLOG-event log under datagen traffic at 200 requests/s"
stack_db=reprise # what `make up` creates and every service defaults to
# The log grows to $BACKLOG events once (later runs find it there): scores of the game `bench`.
have=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT count(*) FROM events" "$stack_db")
if ((have < BACKLOG)); then
  psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1 "$stack_db" <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
SELECT 'score', 'bench-rebuild-' || n || '-' || extract(epoch from now())::bigint, 1, 'ScoreSubmitted', '1',
       json_build_object('ScoreSubmitted', json_build_object('game', 'bench', 'player', 'p' || (n % 100000),
         'score', (n * 7919) % 1000000, 'achievedAt', to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'requestHash', 'h')),
       json_build_object('user_id', 'bench')
FROM generate_series(1::bigint, ($BACKLOG - $have)::bigint) AS n;
SQL
fi
settle
events=$(psql -h 127.0.0.1 -U postgres -Atc "SELECT count(*) FROM events" "$stack_db")
# The same traffic without a rebuild first: its 404s (reads `around` a player not on the board) and p99.
target/release/datagen --duration 20s --rate 200 --json "$OUT/quiet-traffic.json" >"$OUT/quiet-traffic.txt" 2>&1
target/release/datagen --duration 90s --rate 200 --json "$OUT/rebuild-traffic.json" >"$OUT/rebuild-traffic.txt" 2>&1 &
traffic=$!
sleep 5
started=$(date +%s.%N)
target/release/projector rebuild >"$OUT/rebuild.txt" 2>&1
finished=$(date +%s.%N)
wait $traffic
rebuild_seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN {printf "%.1f", b-a}')
rows+=("$(python3 - "$OUT/rebuild-traffic.json" "$OUT/quiet-traffic.json" "$events" "$rebuild_seconds" <<'PY'
import json, sys
during, quiet = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
events, seconds = int(sys.argv[3]), float(sys.argv[4])
def reads(summary): return next(kind for kind in summary["kinds"] if kind["kind"] == "leaderboardRead")
def count(summary, wanted): return sum(n for kind in summary["kinds"] for label, n in kind["endings"].items() if wanted(label))
sent = sum(kind["sent"] for kind in during["kinds"])
failed = count(during, lambda label: not label.startswith("2") and label != "404")
share = lambda summary: 100 * count(summary, lambda label: label == "404") / max(1, reads(summary)["sent"])
print(f"| full rebuild (`projector rebuild`) of {events} events while datagen sends {during['achievedRate']:.0f} req/s "
      f"for {during['sendingSeconds']:.0f} s around it | {events / seconds:.0f} events/s ({seconds:.1f} s); {failed} of {sent} "
      f"requests failed (5xx, timeouts); board reads p99 {reads(during)['latencyMs']['p99']:.1f} ms, 404 on {share(during):.1f}% "
      f"| the same traffic for {quiet['sendingSeconds']:.0f} s without a rebuild: board reads p99 {reads(quiet)['latencyMs']['p99']:.1f} ms, "
      f"404 on {share(quiet):.1f}% (`around` a player not on the board) | target: 0 failed |")
PY
)")
