# technique: T1546.017
# tactic: persistence
# name: Udev rule written to /etc/udev/rules.d that runs a payload when a device appears
# expect: detected
. "$EMULATION_LIB"
# A private, writable view of /etc: the host's /etc is never written (and udevadm is never called).
private_overlay /etc
mkdir -p /etc/udev/rules.d

# systemd-udevd runs RUN+= programs as root each time the matching device event happens; /dev/random
# is "added" at every boot, so this fires at boot without any hardware change.
cat > /etc/udev/rules.d/75-persistence.rules <<'RULE'
ACTION=="add", ENV{MAJOR}=="1", ENV{MINOR}=="8", RUN+="/bin/sh -c '/var/tmp/.udev-helper &'"
RULE
chmod 644 /etc/udev/rules.d/75-persistence.rules
grep -q 'RUN+=' /etc/udev/rules.d/75-persistence.rules
