#!/usr/bin/env bash
# bench/post-cpu.sh [CONNECTIONS] [SECONDS]: where the CPU of a score submission goes. Runs wrk's
# POST /v1/scores through nginx against the stack of `make up` (8 connections, 10 s by default) and
# prints req/s, then each process's CPU per request in microseconds, read from /proc before and after:
# the services, nginx, Postgres, Redis and RabbitMQ together carry every request through the stack.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CONNECTIONS=${1:-8}
DURATION=${2:-10}
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || { echo "start the stack first: make up" >&2; exit 1; }

user="cpu-$(date +%s)-$$"
export BENCH_TOKEN=$(curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$user@example.com\",\"password\":\"benchmark\",\"passwordConf\":\"benchmark\",\"userName\":\"$user\"}" \
  http://127.0.0.1:8080/v1/users | awk 'tolower($1) == "authorization:" {print $3}' | tr -d '\r')

source bench/cpu-ticks.sh

before=$(stack_cpu_ticks)
requests=$(wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" -s bench/post_score.lua http://127.0.0.1:8080 |
  awk '/requests in/ {print $1}')
after=$(stack_cpu_ticks)
echo "$requests requests in $DURATION s at $CONNECTIONS connections: $((requests / DURATION)) req/s"
echo "CPU per request (µs):"
join <(echo "$before") <(echo "$after") |
  awk -v n="$requests" -v hz="$(getconf CLK_TCK)" '{printf "  %-12s %6.1f\n", $1, ($3 - $2) / hz * 1e6 / n}'
