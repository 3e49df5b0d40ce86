#!/usr/bin/env bash
# Kestrel's main job: detection with the bundled rules in rules/, alerts as NDJSON on stdout.
# Until live detection lands here, it replays a generated capture of Linux host activity with
# attacks injected (web shell, reverse shell, cron persistence, credential reads, …).
set -euo pipefail
cd "$(dirname "$0")/.."
capture="${KESTREL_DEMO_CAPTURE:-${TMPDIR:-/tmp}/kestrel-demo.bin}"
if [ ! -f "$capture" ]; then
  bin/kestrel synth --events "${KESTREL_DEMO_EVENTS:-100000}" --seed 1 -o "$capture" >&2
fi
echo "kestrel: replaying $capture through rules/ (alerts on stdout)" >&2
exec bin/kestrel replay "$capture" --rules rules/ "$@"
