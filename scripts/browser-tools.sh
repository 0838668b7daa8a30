#!/usr/bin/env bash
# Installs what the web app's browser test needs, idempotently: Debian's chromium (as root) and npm's
# playwright-core (pinned by web/tests/package-lock.json) into var/tools/browser. Never
# `npx playwright install`: it downloads a browser of its own, which this machine's network refuses.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null 2>&1; then
  say "installing chromium"
  if [ "$(id -u)" -ne 0 ]; then
    echo "run as root, or install Debian's chromium" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

tools="$VAR/tools/browser"
mkdir -p "$tools"
# Reinstall only when the committed lock file changed since the last install.
if ! cmp -s "$ROOT/web/tests/package-lock.json" "$tools/package-lock.json" ||
  [ ! -d "$tools/node_modules/playwright-core" ]; then
  say "installing playwright-core into var/tools/browser"
  cp "$ROOT/web/tests/package.json" "$ROOT/web/tests/package-lock.json" "$tools/"
  npm ci --prefix "$tools" --ignore-scripts --no-audit --no-fund --loglevel=error
fi
say "browser tools ready: $(command -v chromium), $tools/node_modules/playwright-core"
