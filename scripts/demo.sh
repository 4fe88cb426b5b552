#!/usr/bin/env bash
# Install what is missing, build, and run the self-contained demo (its own nats-server, simulated fleet).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node demo/dist/bin/presage-demo.js "$@"
