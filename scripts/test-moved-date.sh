#!/usr/bin/env bash
# Runs every test with the system date moved, to show that no test depends on
# the day it runs (issue 17). Not part of CI: run ./scripts/test.sh once first
# (it installs Chromium, the SDKs and the schemas the tests use).
#
#   scripts/test-moved-date.sh +365d +1825d      # a year and five years ahead
#
# Cargo itself runs at the real date (a moved clock confuses its freshness
# checks); each test binary runs under faketime(1), which moves the wall clock
# for the tests, the portal they start and every program those start
# (the SDKs, s3rver). Monotonic time is left alone so that timeouts still
# work. Chromium cannot run under faketime (it spins, respawning renderers),
# so chromedriver and the browser it starts keep the real date while the
# portal under test runs at the moved one. The PostgreSQL server is a separate
# daemon and keeps the real date; the portal never asks it for the time.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- +365d +1825d

if ! command -v faketime >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq faketime >/dev/null
fi

./scripts/build.sh
. scripts/env.sh
if [ -z "${TEST_DATABASE_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
fi
[ -n "${TEST_DATABASE_URL:-}" ] && export REQUIRE_POSTGRES=1

# Every test binary of the workspace, with the directory cargo would run it in.
mapfile -t binaries < <(cargo test --locked --no-run --message-format=json 2>/dev/null | python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(os.path.dirname(m["manifest_path"]) + "\t" + m["executable"])
')

# chromedriver (and so Chromium) without faketime; see above.
driver=target/moved-date-chromedriver
printf '#!/bin/sh\nunset LD_PRELOAD FAKETIME FAKETIME_DONT_FAKE_MONOTONIC\nexec %s "$@"\n' \
  "$(command -v chromedriver)" > "$driver"
chmod +x "$driver"
export CHROMEDRIVER="$PWD/$driver"

status=0
for offset in "$@"; do
  echo "==> every test with the date moved $offset: $(faketime -f "$offset" date -u)"
  failed=()
  for entry in "${binaries[@]}"; do
    dir=${entry%%$'\t'*}; exe=${entry#*$'\t'}
    name=$(basename "$exe")
    if (cd "$dir" && FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$offset" "$exe" -q) \
         > "target/moved-date$offset-$name.log" 2>&1; then
      echo "    ok      $name ($(grep -ho 'test result: ok. [0-9]* passed' "target/moved-date$offset-$name.log" | grep -o '[0-9]* passed' | head -1))"
    else
      echo "    FAILED  $name (target/moved-date$offset-$name.log)"
      failed+=("$name"); status=1
    fi
  done
  [ ${#failed[@]} -eq 0 ] || echo "==> failed with the date moved $offset: ${failed[*]}"
done
exit $status
