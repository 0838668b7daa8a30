#!/bin/bash
# The image's HEALTHCHECK: `GET /healthz` (or the path given) on the port of the service this
# container runs, with nothing but bash (the image carries no curl or wget).
#
#   reprise-healthcheck [PATH]      exit 0 on a 200, 1 otherwise
#
# The service is the first word of the container's command that names a Reprise binary (PID 1 is
# tini, `tini -- query-api ...`); its port comes from the setting that names its address
# (REPRISE_HTTP__QUERY_ADDR, ...), as the service itself reads it, or the service's default.
# Orchestrators with HTTP probes (Kubernetes) probe the service directly and don't use this.
set -euo pipefail

path=${1:-/healthz}

service=
while IFS= read -r -d '' word; do
  case ${word##*/} in
    command-api | query-api | live | projector | relay | converter | notifier | worker)
      [ -n "$service" ] || service=${word##*/}
      ;;
    migrate) service=one-shot ;; # `projector migrate` applies the migrations and exits
  esac
done </proc/1/cmdline

case $service in
  query-api) address=${REPRISE_HTTP__QUERY_ADDR:-:3000} ;;
  command-api) address=${REPRISE_HTTP__COMMAND_ADDR:-:3010} ;;
  live) address=${REPRISE_LIVE__ADDR:-:3020} ;;
  projector) address=${REPRISE_PROJECTOR__HEALTH_ADDR:-:9101} ;;
  relay) address=${REPRISE_RELAY__HEALTH_ADDR:-:9102} ;;
  converter) address=${REPRISE_CONVERSIONS__CONVERTER_HEALTH_ADDR:-:9103} ;;
  notifier) address=${REPRISE_CONVERSIONS__NOTIFIER_HEALTH_ADDR:-:9104} ;;
  worker) address=${REPRISE_WORKER__HEALTH_ADDR:-:9105} ;;
  *)
    # A one-shot command (`projector migrate`, `datagen`): nothing listens, nothing to check.
    exit 0
    ;;
esac
port=${address##*:}

# HTTP/1.0 with Connection: close, so the answer ends when the service closes the connection.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
[[ $status == HTTP/1.?" 200 "* ]]
