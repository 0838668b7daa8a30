#!/usr/bin/env bash
# `make up`: install what is missing, build, migrate, start the stack in the background, print the URLs.
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

# Each start writes a fresh log and keeps the previous run's as `<name>.log.1`: command-api logs every
# write, and a few benchmark runs would otherwise grow its log by gigabytes.
start() {
  local name=$1
  shift
  [ -f "$LOGS/$name.log" ] && mv -f "$LOGS/$name.log" "$LOGS/$name.log.1"
  nohup "$@" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}
say "starting the services (logs in var/log/)"
start command-api target/release/command-api
start query-api target/release/query-api
start projector target/release/projector
start worker target/release/worker
start relay target/release/relay
start converter target/release/converter
start notifier target/release/notifier
start live target/release/live
start maildev "$VAR/tools/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp 1025 --web 1080

sed -e "s|@RUN_DIR@|$RUN|g" -e "s|@DAEMON@|on|g" -e "s|@LISTEN@|127.0.0.1:8080|g" \
  -e "s|@QUERY@|127.0.0.1:3000|g" -e "s|@COMMAND@|127.0.0.1:3010|g" -e "s|@LIVE@|127.0.0.1:3020|g" \
  -e "s|@WEB_ROOT@|$ROOT/web|g" nginx/nginx.conf.template >"$RUN/nginx.conf"
nginx -p "$RUN" -c "$RUN/nginx.conf" -e "$LOGS/nginx-startup.log"

# A service that could not start (its port taken by a process `make down` does not know) must not
# pass for ready because another process answers on its port.
sleep 0.5
for pidfile in "$RUN"/command-api.pid "$RUN"/query-api.pid "$RUN"/projector.pid "$RUN"/worker.pid \
  "$RUN"/relay.pid "$RUN"/converter.pid "$RUN"/notifier.pid "$RUN"/live.pid "$RUN"/maildev.pid; do
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    name=$(basename "$pidfile" .pid)
    echo "$name exited at start:" >&2
    tail -n 5 "$LOGS/$name.log" >&2
    exit 1
  fi
done

for url in http://127.0.0.1:3010/readyz http://127.0.0.1:3000/readyz http://127.0.0.1:9101/readyz http://127.0.0.1:9102/readyz \
  http://127.0.0.1:9103/readyz http://127.0.0.1:9104/readyz http://127.0.0.1:9105/readyz http://127.0.0.1:3020/readyz \
  http://127.0.0.1:1080/ \
  http://127.0.0.1:8080/readyz; do
  wait_for "$url" 60 || { tail -n 20 "$LOGS"/*.log >&2; exit 1; }
done

cat <<URLS

Reprise is up.
  front door (nginx)   http://127.0.0.1:8080
  leaderboard page     http://127.0.0.1:8080/
  meetups and chat     http://127.0.0.1:8080/chat.html
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
Logs: var/log/   Stop: make down
URLS
