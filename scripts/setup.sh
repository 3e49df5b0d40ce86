#!/usr/bin/env bash
# Installs everything Kestrel needs on a fresh Debian 12 + Node 20 machine (as root) and builds it.
# Idempotent: re-running it only does what is missing. Used by both README set-up commands and CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the eBPF toolchain (clang + llvm for BPF CO-RE, bpftool for vmlinux.h and the
# skeleton, libbpf/libelf/zlib to link the loader addon, make/pkg-config/g++ to build it) and
# python3 for the sensor's live tests; redis-server and nats-server for the alert-sink integration
# tests (they start their own servers on loopback ports). Only call apt when something is missing, so a re-run costs
# nothing and needs no network.
APT_PACKAGES=(clang llvm libbpf-dev bpftool make pkg-config libelf-dev zlib1g-dev g++ python3 redis-server nats-server)
# The tools the live attack-emulation suite (test/emulation/, rule triggers) uses as an attacker
# would: network and process tools, ssh, curl/wget, openssl, account and capability tools, gcc.
APT_PACKAGES+=(iproute2 procps psmisc net-tools lsof curl wget openssl ca-certificates openssh-client passwd login
  e2fsprogs libcap2-bin gcc perl gnupg zip xxd util-linux systemd init-system-helpers debianutils)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# npm dependencies exactly as locked; skipped when node_modules already matches the lock file.
# A symlinked node_modules is a shared install managed elsewhere: npm ci would empty its target.
if [ -L node_modules ]; then
  echo "setup: node_modules is a symlink to $(readlink node_modules); leaving it alone" >&2
elif [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.kestrel-lock-copy 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.kestrel-lock-copy
fi

npm run --silent build

# The eBPF sensor: BPF object + skeleton, then the loader addon (both incremental).
bash scripts/build-sensor.sh

# Example AssemblyScript user rules (build/rules/, git-ignored).
npm run --silent build:examples
