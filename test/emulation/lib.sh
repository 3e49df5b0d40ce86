# Shared helpers for the emulation scripts (sourced). Every script runs as
#   unshare --mount --net --fork sh -eu <script>
# from a fresh temporary directory (its $PWD), so mounts made here vanish with the namespace and
# the network is a private loopback. Nothing a script does may outlive it on the host.

# A writable private view of a host folder: an overlay whose upper layer lives in $PWD, so the
# script sees the real contents, may change them, and the host's copy is never written.
private_overlay() {
	dir=$1
	key=$(echo "$dir" | tr / _)
	mkdir -p "$PWD/.overlay/$key/upper" "$PWD/.overlay/$key/work"
	mount -t overlay "kestrel-emulation$key" -o "lowerdir=$dir,upperdir=$PWD/.overlay/$key/upper,workdir=$PWD/.overlay/$key/work" "$dir"
}

# An empty private tmpfs over a folder (for folders whose contents the script does not need).
private_tmpfs() {
	mount -t tmpfs kestrel-emulation "$1"
	# A TMPDIR inside the mount point (a test run keeps its files in a folder of /tmp) is hidden
	# by the new mount: the mount point itself stands in for it.
	case "${TMPDIR:-}" in "$1"/*) export TMPDIR="$1" ;; esac
}

# The namespace's loopback interface, down when the namespace is made.
loopback_up() {
	ip link set lo up
}

# Fails the script loudly when a tool it needs is missing (never a silent skip).
need() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 || { echo "emulation: '$tool' is not installed (scripts/setup.sh installs it)" >&2; exit 97; }
	done
}

# The attacker's side of a reverse shell (in real life another machine): a one-shot listener on the
# namespace's loopback that types `id; exit` into the shell that connects and keeps the answer in
# session.log. It calls listen() without bind(), so the kernel picks the port (in $port) and this
# stand-in raises no alert of its own: what fires is the victim side. Sets $listener (its pid) and
# kills it when the script exits.
attacker_listener() {
	python3 -c '
import os, socket
s = socket.socket(); s.listen(1); s.settimeout(8)
open("port.tmp", "w").write(str(s.getsockname()[1])); os.rename("port.tmp", "port")
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
}
