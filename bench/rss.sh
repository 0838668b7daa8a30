#!/usr/bin/env bash
# Prints "<process> <RSS MiB>" for each Reprise process `make up` started (nginx and MailDev aside).
source "$(dirname "$0")/../scripts/lib.sh"
supervisorctl -c "$RUN/supervisord.conf" status | awk '$2 == "RUNNING" { sub(",", "", $4); print $1, $4 }' |
  while read -r name pid; do
    case $name in nginx | maildev) continue ;; esac
    rss=$(awk '/^VmRSS:/ {printf "%.0f", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo "?")
    echo "$name $rss"
  done
