# technique: T1018
# tactic: discovery
# name: Remote systems found from /etc/hosts, the ARP/neighbour cache and SSH known_hosts
# expect: detected
. "$EMULATION_LIB"
need arp ip
# Lateral-movement targets without touching the network: names in /etc/hosts, neighbours the host
# recently talked to, and hosts this account has SSH'd to.
cat /etc/hosts >/dev/null
arp -a -n >/dev/null 2>&1 || true
ip neigh show >/dev/null
cat /root/.ssh/known_hosts >/dev/null 2>&1 || true
grep -hs -E '^[[:space:]]*(Host|HostName)[[:space:]]' /root/.ssh/config /etc/ssh/ssh_config >/dev/null || true
