#!/usr/bin/env bash
# Installs (Debian packages) and starts what Reprise needs, idempotently: safe on a fresh machine, in CI
# and on a machine where everything is already there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need_packages=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_packages+=(nginx-light)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
command -v psql >/dev/null 2>&1 || need_packages+=(postgresql-client)
command -v redis-cli >/dev/null 2>&1 || need_packages+=(redis-tools)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3 python3-pip)
# The converter runs ffmpeg and ffprobe (both in Debian's ffmpeg package).
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_packages+=(ffmpeg)
# `make up` and the fleet tests run every process under supervisord, which restarts what dies.
command -v supervisord >/dev/null 2>&1 || need_packages+=(supervisor)
if ((${#need_packages[@]})); then
  say "installing ${need_packages[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "run as root, or install: ${need_packages[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Packages must not start services of their own (Debian's supervisor would start a system-wide
  # supervisord): 101 tells invoke-rc.d "not now".
  policy=/usr/sbin/policy-rc.d
  [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && trap 'rm -f "$policy"' EXIT; }
  apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null
fi

# The notifier's tests run a real SMTP server of their own: Python's aiosmtpd. pip first; where the
# system's Python refuses pip (PEP 668), Debian's package.
if ! python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  say "installing aiosmtpd"
  python3 -m pip install --quiet --root-user-action=ignore aiosmtpd 2>/dev/null ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-aiosmtpd >/dev/null; }
  python3 -c 'import aiosmtpd' || { echo "aiosmtpd did not install" >&2; exit 1; }
fi

# The machine's services: start one that has stopped, never restart a running one.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
rabbitmq_answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! rabbitmq_answers; then
  say "starting RabbitMQ"
  rabbitmq-server -detached
fi
for _ in $(seq 1 150); do
  pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && rabbitmq_answers && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
redis-cli -h 127.0.0.1 ping >/dev/null || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
rabbitmq_answers || { echo "RabbitMQ is not answering on 127.0.0.1:5672" >&2; exit 1; }
