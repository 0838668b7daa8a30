#!/usr/bin/env bash
# Renders a fleet: one supervisord configuration that runs every Reprise process (REPLICAS copies of
# each stateless service, an active and REPLICAS-1 standby projectors and relays, nginx, and MailDev
# when asked), and the nginx configuration in front of the copies. `make up` renders the machine's
# stack with it; the end-to-end fleet tests render theirs, on their own ports, with the same script.
#
# Usage: scripts/fleet.sh RUN_DIR LOG_DIR BIN_DIR
# Environment (all optional):
#   REPLICAS      copies of each service (default 1)
#   PORT_NGINX PORT_QUERY PORT_COMMAND PORT_LIVE PORT_PROJECTOR PORT_RELAY PORT_CONVERTER
#   PORT_NOTIFIER PORT_WORKER   the first copy's port; copy n listens on PORT + 100 * (n - 1)
#   MAILDEV       a MailDev executable to run on SMTP 1025 / web 1080 (not run when empty)
#   WEB_ROOT      what nginx serves at / (default web/)
#   WORKDIR       the services' working directory (default the repository)
# Every REPRISE_* variable in supervisord's own environment reaches every service.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN_DIR=$1 LOG_DIR=$2 BIN_DIR=$3
REPLICAS=${REPLICAS:-1}
PORT_NGINX=${PORT_NGINX:-8080}
PORT_QUERY=${PORT_QUERY:-3000}
PORT_COMMAND=${PORT_COMMAND:-3010}
PORT_LIVE=${PORT_LIVE:-3020}
PORT_PROJECTOR=${PORT_PROJECTOR:-9101}
PORT_RELAY=${PORT_RELAY:-9102}
PORT_CONVERTER=${PORT_CONVERTER:-9103}
PORT_NOTIFIER=${PORT_NOTIFIER:-9104}
PORT_WORKER=${PORT_WORKER:-9105}
WEB_ROOT=${WEB_ROOT:-$ROOT/web}
WORKDIR=${WORKDIR:-$ROOT}

if ! [[ $REPLICAS =~ ^[1-9]$ ]]; then
  echo "REPLICAS must be 1 to 9 (copy n listens 100 * (n - 1) ports above the first)" >&2
  exit 2
fi
mkdir -p "$RUN_DIR" "$LOG_DIR"

# service | binary | setting that names its address | first port
SERVICES="query-api query-api REPRISE_HTTP__QUERY_ADDR $PORT_QUERY
command-api command-api REPRISE_HTTP__COMMAND_ADDR $PORT_COMMAND
live live REPRISE_LIVE__ADDR $PORT_LIVE
projector projector REPRISE_PROJECTOR__HEALTH_ADDR $PORT_PROJECTOR
relay relay REPRISE_RELAY__HEALTH_ADDR $PORT_RELAY
converter converter REPRISE_CONVERSIONS__CONVERTER_HEALTH_ADDR $PORT_CONVERTER
notifier notifier REPRISE_CONVERSIONS__NOTIFIER_HEALTH_ADDR $PORT_NOTIFIER
worker worker REPRISE_WORKER__HEALTH_ADDR $PORT_WORKER"

program() { # name command [environment]
  cat <<PROGRAM

[program:$1]
command=$2
directory=$WORKDIR
${3:+environment=$3}
autostart=true
; A process that dies is started again at once, however often: the log is the truth, so a restart
; only resumes from a checkpoint.
autorestart=true
startsecs=1
startretries=1000
stopsignal=TERM
; The services finish in-flight work on SIGTERM within 10 s (http_kit::serve); then KILL.
stopwaitsecs=15
stopasgroup=true
killasgroup=true
stdout_logfile=$LOG_DIR/$1.log
stdout_logfile_maxbytes=100MB
stdout_logfile_backups=1
redirect_stderr=true
PROGRAM
}

# The addresses of a service's copies, one `server` line each, for an nginx upstream.
servers() { # first_port
  local n
  for ((n = 1; n <= REPLICAS; n++)); do
    printf '    server 127.0.0.1:%d max_fails=1 fail_timeout=2s;\n' $(($1 + 100 * (n - 1)))
  done
}

{
  cat <<HEAD
; Rendered by scripts/fleet.sh: edit that script, not this file.
[unix_http_server]
file=$RUN_DIR/supervisor.sock
chmod=0700

[supervisord]
logfile=$LOG_DIR/supervisord.log
logfile_maxbytes=10MB
logfile_backups=1
pidfile=$RUN_DIR/supervisord.pid
childlogdir=$LOG_DIR
identifier=reprise
minfds=8192

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$RUN_DIR/supervisor.sock
HEAD
  while read -r service binary setting port; do
    for ((n = 1; n <= REPLICAS; n++)); do
      program "$service-$n" "$BIN_DIR/$binary" "$setting=\"127.0.0.1:$((port + 100 * (n - 1)))\""
    done
  done <<<"$SERVICES"
  program nginx "$(command -v nginx || echo /usr/sbin/nginx) -p $RUN_DIR -c $RUN_DIR/nginx.conf -e $LOG_DIR/nginx-startup.log"
  if [ -n "${MAILDEV:-}" ]; then
    program maildev "$MAILDEV --ip 127.0.0.1 --smtp 1025 --web 1080"
  fi
} >"$RUN_DIR/supervisord.conf"

query_servers=$(servers "$PORT_QUERY")
command_servers=$(servers "$PORT_COMMAND")
live_servers=$(servers "$PORT_LIVE")
awk -v run="$RUN_DIR" -v listen="127.0.0.1:$PORT_NGINX" -v web="$WEB_ROOT" \
  -v query="$query_servers" -v command="$command_servers" -v live="$live_servers" '
  { gsub(/@RUN_DIR@/, run); gsub(/@DAEMON@/, "off"); gsub(/@LISTEN@/, listen); gsub(/@WEB_ROOT@/, web) }
  /@QUERY_SERVERS@/ { print query; next }
  /@COMMAND_SERVERS@/ { print command; next }
  /@LIVE_SERVERS@/ { print live; next }
  { print }' "$ROOT/nginx/nginx.conf.template" >"$RUN_DIR/nginx.conf"

# What to wait for before calling the fleet ready: every copy's /readyz, then the front door's.
while read -r service binary setting port; do
  for ((n = 1; n <= REPLICAS; n++)); do
    echo "http://127.0.0.1:$((port + 100 * (n - 1)))/readyz"
  done
done <<<"$SERVICES" >"$RUN_DIR/ready-urls"
echo "http://127.0.0.1:$PORT_NGINX/readyz" >>"$RUN_DIR/ready-urls"
