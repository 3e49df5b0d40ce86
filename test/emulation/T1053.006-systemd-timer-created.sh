# technique: T1053.006
# tactic: persistence
# name: Systemd timer and service written to /etc/systemd/system and enabled by symlink
# expect: detected
. "$EMULATION_LIB"
# A private, writable view of /etc: the host's /etc is never written.
private_overlay /etc

payload=/var/tmp/.sys-update
cat > /etc/systemd/system/sys-update.service <<UNIT
[Unit]
Description=System update helper

[Service]
Type=oneshot
ExecStart=/bin/sh -c '$payload'
UNIT

cat > /etc/systemd/system/sys-update.timer <<UNIT
[Unit]
Description=Run system update helper every 5 minutes

[Timer]
OnBootSec=1min
OnUnitActiveSec=5min
Unit=sys-update.service

[Install]
WantedBy=timers.target
UNIT

# "systemctl enable" by hand (talking to the host's systemd is not allowed here): link it into
# timers.target.wants so it starts at the next boot.
mkdir -p /etc/systemd/system/timers.target.wants
ln -s /etc/systemd/system/sys-update.timer /etc/systemd/system/timers.target.wants/sys-update.timer
test -L /etc/systemd/system/timers.target.wants/sys-update.timer
