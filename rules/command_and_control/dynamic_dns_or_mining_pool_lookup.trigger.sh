# Live trigger (unshare --mount --net): the namespace's own loopback holds a tiny DNS server
# (test/fixtures/dns/tiny-dns-server.py) and /etc/resolv.conf points at it; glibc's resolver then
# looks up a mining pool and a dynamic-DNS name, as a miner or an implant would. Nothing leaves.
server="$(cd "$(dirname "$0")/../.." && pwd)/test/fixtures/dns/tiny-dns-server.py"
ip link set lo up
ip addr add 198.51.100.2/32 dev lo
mount -t tmpfs kestrel-trigger /mnt
printf 'nameserver 127.0.0.1\n' > /mnt/resolv.conf
mount --bind /mnt/resolv.conf /etc/resolv.conf
python3 "$server" /mnt/listening &
dns=$!
# Up to 20 s for the server to listen: a lookup before that is refused at once.
for i in $(seq 200); do [ -e /mnt/listening ] && break; sleep 0.1; done
[ -e /mnt/listening ]
getent ahostsv4 pool.supportxmr.com > /dev/null
getent ahostsv4 c2.duckdns.org > /dev/null
kill "$dns" 2>/dev/null || true
wait
