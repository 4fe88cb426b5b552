#!/usr/bin/env bash
# Install what Presage needs on a fresh Debian 12 machine (idempotent; fast when all is there):
# Debian packages for NATS, simulated BMCs, IPMI tools, QEMU/libvirt, python3-numpy (the detection bench's
# reference baselines), Prometheus and Alertmanager (promtool and the observability test), chromium with a font
# (the dashboard's browser tests and bench, driven by playwright-core; no browser is ever downloaded), then pnpm and
# the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node >= 20 first: everything else (pnpm, the build, the package's Depends) assumes it
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Presage needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "setup: Debian 12 ships Node 18; install Node 20+ (e.g. the NodeSource nodejs package) and re-run." >&2
  exit 1
fi

APT_PKGS=(nats-server openipmi ipmitool freeipmi-tools socat openssl procps qemu-system-x86 iproute2
  libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu systemd dpkg python3 python3-numpy
  prometheus prometheus-alertmanager chromium fonts-dejavu-core)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm" >&2
  npm i -g pnpm@10 >/dev/null 2>&1
fi

pnpm install --frozen-lockfile --reporter=silent
pnpm -s build
