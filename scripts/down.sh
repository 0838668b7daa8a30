#!/usr/bin/env bash
# `make down`: stops what `make up` started (and only that), gracefully first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ -f "$RUN/nginx.pid" ]; then
  nginx -p "$RUN" -c "$RUN/nginx.conf" -s quit 2>/dev/null || kill "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
  rm -f "$RUN/nginx.pid"
fi
for pidfile in "$RUN"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
say "stopped"
