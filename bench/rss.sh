#!/usr/bin/env bash
# Prints "<service> <RSS MiB>" for each service `make up` started.
source "$(dirname "$0")/../scripts/lib.sh"
for pidfile in "$RUN"/*.pid; do
  name=$(basename "$pidfile" .pid)
  [ "$name" = nginx ] && continue
  rss=$(awk '/^VmRSS:/ {printf "%.0f", $2/1024}' "/proc/$(cat "$pidfile")/status" 2>/dev/null || echo "?")
  echo "$name $rss"
done
