#!/usr/bin/env bash
# Installs the tools of the edge's checks, once: cargo-deny, at a pinned version, for
# `cargo deny check licenses bans sources` (deny.toml). A later run installs nothing unless the pin
# below changes; the first one compiles cargo-deny from crates.io, which takes some minutes.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

CARGO_DENY_VERSION=0.20.2

installed=$(cargo deny --version 2>/dev/null || true)
if [ "$installed" != "cargo-deny $CARGO_DENY_VERSION" ]; then
  say "installing cargo-deny $CARGO_DENY_VERSION (once; it compiles for a few minutes)"
  cargo install --locked --quiet cargo-deny --version "$CARGO_DENY_VERSION"
fi
