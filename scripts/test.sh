#!/usr/bin/env bash
# `make test`: one debug build of everything, then every test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

scripts/deps.sh
# The web app's browser test: Debian's chromium and a pinned playwright-core.
scripts/browser-tools.sh

# Databases left behind by test runs that were killed before they could drop their own.
stale=$(psql -h 127.0.0.1 -U postgres -Atc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'reprise\_t\_%' AND NOT EXISTS
     (SELECT 1 FROM pg_stat_activity a WHERE a.datname = pg_database.datname)" postgres || true)
for db in $stale; do
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" postgres >/dev/null || true
done

# Redis keys of earlier test runs: each test writes under a key prefix of its own (`t<uuid>:`) and
# leaves it there; millions of them slow every scan of the shared keyspace.
redis-cli -h 127.0.0.1 --scan --pattern 't*' 2>/dev/null | grep -E '^t[0-9a-f]{32}:' |
  xargs -r -n 1000 redis-cli -h 127.0.0.1 unlink >/dev/null 2>&1 || true

say "checking formatting"
cargo fmt --all -- --check

say "validating the deployment files"
scripts/validate-deploy.sh
# After the validators: it shares their virtual environment and keeps their pins.
scripts/contract-tools.sh

say "checking the dependencies' licenses, bans and sources (cargo-deny)"
scripts/edge-tools.sh
cargo deny --locked check licenses bans sources

say "building (debug, every target)"
cargo build --workspace --all-targets --locked

say "running the tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --profile ci --locked
else
  cargo test --workspace --locked
fi
