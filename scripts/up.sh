#!/usr/bin/env bash
# `make up`: install what is missing, build, migrate, start the stack under supervisord, print the URLs.
# `make up REPLICAS=2` runs two copies of every service (and a standby projector and relay).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

scripts/deps.sh
mkdir -p "$RUN" "$LOGS"

say "building (release)"
cargo build --release --workspace --bins --locked

say "preparing the database"
if ! psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'reprise'" postgres | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE reprise" postgres
fi
target/release/projector migrate >"$LOGS/migrate.log" 2>&1 || { cat "$LOGS/migrate.log" >&2; exit 1; }

scripts/down.sh >/dev/null

# The token signing secret: generated once, kept in var/, never shipped.
mkdir -p "$VAR/secrets"
if [ ! -s "$VAR/secrets/jwt" ]; then
  (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$VAR/secrets/jwt")
fi
export REPRISE_AUTH__JWT_SECRET_FILE="$VAR/secrets/jwt"
export REPRISE_BLOBS__ROOT="$VAR/blobs"

# A local mail server with a web inbox, for the notifier's e-mails: MailDev, from npm, kept in var/.
if [ ! -x "$VAR/tools/node_modules/.bin/maildev" ]; then
  say "installing MailDev (npm)"
  npm install --silent --no-audit --no-fund --prefix "$VAR/tools" maildev@2 >"$LOGS/npm.log" 2>&1 ||
    { cat "$LOGS/npm.log" >&2; exit 1; }
fi

say "starting the services under supervisord (logs in var/log/)"
REPLICAS=${REPLICAS:-${REPRISE_REPLICAS:-1}} MAILDEV="$VAR/tools/node_modules/.bin/maildev" \
  scripts/fleet.sh "$RUN" "$LOGS" "$ROOT/target/release"
supervisord -c "$RUN/supervisord.conf"

while read -r url; do
  wait_for "$url" 60 || {
    supervisorctl -c "$RUN/supervisord.conf" status >&2 || true
    tail -n 20 "$LOGS"/*.log >&2
    exit 1
  }
done <"$RUN/ready-urls"
wait_for http://127.0.0.1:1080/ 60 || { tail -n 20 "$LOGS/maildev.log" >&2; exit 1; }
# A service that cannot bind its port (taken by a process supervisord does not know, which then
# answered the /readyz above) exits at once and is never RUNNING for the one second it must last.
sleep 1.5
if supervisorctl -c "$RUN/supervisord.conf" status | grep -v RUNNING >&2; then
  echo "the processes above are not running; see var/log/<name>.log" >&2
  exit 1
fi

cat <<URLS

Reprise is up.
  front door (nginx)   http://127.0.0.1:8080
  web app              http://127.0.0.1:8080/   (account, leaderboards, jobs, conversions, meetups and chat)
  API docs (Swagger)   http://127.0.0.1:8080/docs/
  OpenAPI              http://127.0.0.1:8080/openapi.json
  query-api            http://127.0.0.1:3000   (healthz, readyz, metrics)
  command-api          http://127.0.0.1:3010   (healthz, readyz, metrics)
  projector            http://127.0.0.1:9101   (healthz, readyz, metrics)
  relay                http://127.0.0.1:9102   (healthz, readyz, metrics)
  converter            http://127.0.0.1:9103   (healthz, readyz, metrics)
  notifier             http://127.0.0.1:9104   (healthz, readyz, metrics)
  worker               http://127.0.0.1:9105   (healthz, readyz, metrics)
  live                 http://127.0.0.1:3020   (WebSockets at /v1/ws, also through nginx; healthz, readyz, metrics)
  mail inbox (MailDev) http://127.0.0.1:1080   (SMTP on 127.0.0.1:1025)
Copies of each service: ${REPLICAS:-${REPRISE_REPLICAS:-1}} (copy n listens 100 * (n - 1) ports above the first)
Processes: make status   Logs: var/log/   Stop: make down
An empty stack? Fill it with traffic like real clients: make datagen ARGS="--duration 10s --rate 200"
URLS
