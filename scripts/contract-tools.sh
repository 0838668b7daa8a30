#!/usr/bin/env bash
# Installs schemathesis, which e2e/tests/api/contract.rs runs against the OpenAPI document, into
# var/tools/venv (ignored by git), idempotently and quietly: nothing is installed when the pinned
# version is already there, and the install's output is shown only when it fails.
#
# The venv is shared with scripts/validate-deploy.sh's validators, so it is never deleted here, and
# every package already in it is held at its version (a constraints file from `pip freeze`):
# schemathesis must not move a package another tool pins (checkov needs packaging<24, which the
# newest pytest does not accept). validate-deploy.sh recreates the venv when its own pins change;
# the next run of this script then installs schemathesis again.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
INSTALL_SECONDS=900

VENV="$VAR/tools/venv"
BIN="$VENV/bin"
WORK="$VAR/tmp/contract-tools"
mkdir -p "$WORK"

installed_version() {
  "$BIN/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null || true
}

if [ -x "$BIN/python" ] && [ "$(installed_version)" = "$SCHEMATHESIS_VERSION" ]; then
  exit 0
fi

if [ ! -x "$BIN/python" ]; then
  if ! python3 -m venv "$VENV" >"$WORK/install.log" 2>&1; then
    cat "$WORK/install.log" >&2
    echo "python3 -m venv failed: install python3-venv" >&2
    exit 1
  fi
fi
"$BIN/pip" freeze --disable-pip-version-check --exclude schemathesis >"$WORK/constraints.txt" 2>/dev/null
if ! timeout "$INSTALL_SECONDS" "$BIN/pip" install --quiet --disable-pip-version-check --no-input \
  --constraint "$WORK/constraints.txt" "schemathesis==$SCHEMATHESIS_VERSION" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  echo "installing schemathesis $SCHEMATHESIS_VERSION into var/tools/venv failed (log above)" >&2
  exit 1
fi
