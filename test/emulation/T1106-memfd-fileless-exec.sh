# technique: T1106
# tactic: execution
# name: Payload run from an anonymous memfd via memfd_create and execve (fileless)
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need python3
# A fileless loader: the payload (here a copy of id(1), standing in for a fetched ELF) is written
# into an unsealed anonymous memory file and executed from /proc/self/fd, never touching disk.
python3 -c '
import os
payload = open("/usr/bin/id", "rb").read()
fd = os.memfd_create("kworker", 0)
os.write(fd, payload)
pid = os.fork()
if pid == 0:
    os.execv("/proc/self/fd/%d" % fd, ["[kworker/0:1]"])
_, status = os.waitpid(pid, 0)
raise SystemExit(os.waitstatus_to_exitcode(status))
' > out.txt
grep -q 'uid=' out.txt
