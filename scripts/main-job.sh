#!/usr/bin/env bash
# Kestrel's main job: detection with the bundled rules in rules/, alerts as NDJSON on stdout.
# Live detection on this host through the eBPF sensor (root + BTF) for KESTREL_RUN_SECONDS
# (default 60; 0 = until Ctrl-C). Where the sensor cannot run (not root, no BTF), it says why and
# replays a generated capture of Linux host activity with attacks injected instead.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${KESTREL_RUN_SECONDS:-60}"
duration=()
[ "$seconds" != "0" ] && duration=(--duration "$seconds")

echo "kestrel: live detection with rules/ (alerts on stdout; stop with Ctrl-C)" >&2
bin/kestrel run --rules rules/ "${duration[@]}" "$@"
code=$?
[ "$code" -ne 4 ] && exit "$code"   # 4 = the sensor cannot run here (reason printed above)

capture="${KESTREL_DEMO_CAPTURE:-${TMPDIR:-/tmp}/kestrel-demo.bin}"
echo "kestrel: falling back to replaying a generated capture ($capture) through rules/" >&2
[ -f "$capture" ] || bin/kestrel synth --events "${KESTREL_DEMO_EVENTS:-100000}" --seed 1 -o "$capture" >&2
exec bin/kestrel replay "$capture" --rules rules/ "$@"
