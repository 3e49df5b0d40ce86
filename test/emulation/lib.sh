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
