#!/usr/bin/env bash
# The whole test suite: installs what the tests need, builds, then runs vitest once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec pnpm -s exec vitest run "$@"
