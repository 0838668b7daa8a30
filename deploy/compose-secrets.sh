#!/usr/bin/env bash
# Writes the secrets deploy/compose.yaml mounts, once: random passwords for Postgres, Redis and
# RabbitMQ, the URLs that carry them, and the token signing secret. Files already there are kept, so
# running it again changes nothing (a new password would no longer match the one a data volume was
# initialised with).
#
#   deploy/compose-secrets.sh [DIRECTORY]      default deploy/secrets (ignored by git)
#
# Compose without Swarm bind-mounts secret files as they are, and the containers read them as users
# of their own (Reprise as 10001, Postgres as 999, ...): the files are readable by all, the directory
# by its owner only.
set -euo pipefail

dir=${1:-"$(cd "$(dirname "$0")" && pwd)/secrets"}
mkdir -p "$dir"
chmod 700 "$dir"

random_hex() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

# write NAME CONTENT: NAME gets CONTENT unless it already exists.
write() {
  if [ ! -s "$dir/$1" ]; then
    printf '%s\n' "$2" >"$dir/$1"
    chmod 644 "$dir/$1"
    echo "wrote $dir/$1"
  fi
}

# Each URL is derived from its password file, so the two always agree.
write jwt "$(head -c 48 /dev/urandom | base64 | tr -d '\n')"

write postgres_password "$(random_hex)"
write database_url "postgres://reprise:$(cat "$dir/postgres_password")@postgres:5432/reprise?sslmode=disable"

write redis.conf "requirepass $(random_hex)"
write redis_url "redis://:$(sed -n 's/^requirepass //p' "$dir/redis.conf")@redis:6379"

write rabbitmq.conf "$(printf 'default_user = reprise\ndefault_pass = %s' "$(random_hex)")"
write rabbitmq_url "amqp://reprise:$(sed -n 's/^default_pass = //p' "$dir/rabbitmq.conf")@rabbitmq:5672/%2f"
