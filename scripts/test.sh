#!/usr/bin/env bash
# Runs every test: unit tests, and end-to-end tests against the real server on
# SQLite and (when a server is reachable) PostgreSQL, with a real SMTP server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
. scripts/env.sh

if [ -z "${TEST_DATABASE_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "==> database tests run on SQLite and on PostgreSQL ($TEST_DATABASE_URL)"
  export REQUIRE_POSTGRES=1
else
  echo "==> no PostgreSQL reachable: database tests run on SQLite only"
fi

echo "==> running tests"
cargo test --locked --no-fail-fast
