# technique: T1562.001
# tactic: defense-evasion
# name: auditd and rsyslog stopped and disabled with service and systemctl
# expect: detected
. "$EMULATION_LIB"
need service systemctl
# The usual "kill the logging" preamble of Linux intrusion scripts. /run is an empty private
# tmpfs, so service and systemctl cannot reach any real init system and nothing on the host is
# stopped; the attempts still run exactly as an intruder types them.
private_tmpfs /run
service auditd stop >/dev/null 2>&1 || true
systemctl stop auditd >/dev/null 2>&1 || true
systemctl disable auditd >/dev/null 2>&1 || true
service rsyslog stop >/dev/null 2>&1 || true
systemctl mask rsyslog.service >/dev/null 2>&1 || true
