# technique: T1037
# tactic: persistence
# name: Executable script planted in /etc/update-motd.d (runs as root at every SSH login)
# expect: detected
. "$EMULATION_LIB"
need run-parts
# A private, writable view of /etc: the host's /etc is never written.
private_overlay /etc
mkdir -p /etc/update-motd.d
marker=$PWD/motd-ran

# pam_motd runs every script in /etc/update-motd.d as root when someone logs in over SSH.
cat > /etc/update-motd.d/30-sysinfo <<MOTD
#!/bin/sh
# print system information
id > $marker
MOTD
chmod +x /etc/update-motd.d/30-sysinfo

# What the next login does (pam_motd's run-parts), here into a file instead of the login banner.
run-parts --lsbsysinit /etc/update-motd.d > motd.txt 2>&1 || true
test -s "$marker"
