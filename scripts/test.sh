#!/usr/bin/env bash
# The whole test suite: installs what the tests need, builds, then runs vitest once and ends with
# a plain "N passed, N failed, N skipped" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
report=$(mktemp /tmp/presage-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT
set +e
pnpm -s exec vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?
set -e
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" 2>/dev/null || echo "test run failed before vitest wrote its report (exit $rc)"
exit $rc
