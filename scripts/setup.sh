#!/usr/bin/env bash
# Installs everything Kestrel needs on a fresh Debian 12 + Node 20 machine (as root) and builds it.
# Idempotent: re-running it only does what is missing. Used by both README set-up commands and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (the eBPF toolchain joins this list with the sensor). Only call apt when
# something is missing, so a re-run costs nothing and needs no network.
APT_PACKAGES=()
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# npm dependencies exactly as locked; skipped when node_modules already matches the lock file.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.kestrel-lock-copy 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.kestrel-lock-copy
fi

npm run --silent build
# Example AssemblyScript user rules (rules/examples/build/, git-ignored).
npm run --silent build:examples
