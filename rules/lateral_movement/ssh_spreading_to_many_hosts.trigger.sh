# Live trigger (unshare --mount --net: a private loopback with nothing listening): ssh to three
# documentation addresses on the namespace's own loopback, host-key checks off, as a spreader
# does. Every connection is refused at once.
ip link set lo up
for h in 21 22 23; do
	ip addr add 198.51.100.$h/32 dev lo
	ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=2 root@198.51.100.$h true 2>/dev/null || true
done
