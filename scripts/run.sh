#!/usr/bin/env bash
# Builds the portal, creates and migrates the embedded SQLite database under
# ./data, seeds the demo accounts and serves http://127.0.0.1:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
. scripts/env.sh
exec "${CARGO_TARGET_DIR:-target}/debug/portal" serve --demo
