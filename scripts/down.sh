#!/usr/bin/env bash
# `make down`: stops what `make up` started (and only that): supervisord stops every process
# gracefully (SIGTERM, then SIGKILL after stopwaitsecs) and exits.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ -S "$RUN/supervisor.sock" ] && supervisorctl -c "$RUN/supervisord.conf" pid >/dev/null 2>&1; then
  pid=$(supervisorctl -c "$RUN/supervisord.conf" pid)
  supervisorctl -c "$RUN/supervisord.conf" shutdown >/dev/null
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
# A stack started by an earlier version of `make up`, one pid file per process.
for pidfile in "$RUN"/*.pid; do
  [ -e "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if [ "$(basename "$pidfile")" != supervisord.pid ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
say "stopped"
