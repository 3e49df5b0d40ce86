# technique: T1037.004
# tactic: persistence
# name: /etc/rc.local created with a payload and made executable
# expect: detected
. "$EMULATION_LIB"
# A private, writable view of /etc: the host's /etc is never written.
private_overlay /etc
rm -f /etc/rc.local

# rc-local.service (systemd's rc.local compatibility generator) runs it as root at every boot.
cat > /etc/rc.local <<'RC'
#!/bin/sh -e
# rc.local
nohup /bin/sh -c 'sleep 60; /var/tmp/.sys-update' >/dev/null 2>&1 &
exit 0
RC
chmod +x /etc/rc.local
test -x /etc/rc.local
