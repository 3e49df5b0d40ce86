#!/usr/bin/env bash
# Builds the eBPF sensor: the BPF object and skeleton (bpf/Makefile, incremental) and the N-API
# loader addon (node-gyp), which embeds the skeleton. Skips the addon when its binary is newer
# than every input. Needs clang, bpftool, libbpf-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

make -s -C bpf

addon=native/ebpf-loader/build/Release/kestrel_ebpf.node
inputs=(native/ebpf-loader/binding.gyp native/ebpf-loader/src/* bpf/.output/kestrel.skel.h)
stale=0
if [ ! -f "$addon" ]; then
  stale=1
else
  for f in "${inputs[@]}"; do [ "$f" -nt "$addon" ] && stale=1 && break; done
fi
if [ "$stale" -eq 1 ]; then
  # nodedir: use Debian's Node headers instead of downloading them (no internet needed).
  (cd native/ebpf-loader && ../../node_modules/.bin/node-gyp rebuild --nodedir=/usr --loglevel=error)
fi
