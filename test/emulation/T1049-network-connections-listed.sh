# technique: T1049
# tactic: discovery
# name: Network connections and sessions listed with netstat, ss, lsof and who
# expect: detected
. "$EMULATION_LIB"
need netstat ss lsof who w
# The Atomic Red Team T1049 set: open connections, listening sockets with their programs, and
# logged-in sessions, from one shell.
netstat -antup >/dev/null 2>&1
ss -tunap >/dev/null
lsof -i -n -P >/dev/null 2>&1 || true
who -a >/dev/null
w >/dev/null
