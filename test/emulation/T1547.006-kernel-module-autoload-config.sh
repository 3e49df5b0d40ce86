# technique: T1547.006
# tactic: persistence
# name: Rootkit module set to load at boot via /etc/modules-load.d and a modprobe.d install hook
# expect: detected
. "$EMULATION_LIB"
# A private, writable view of /etc: the host's /etc is never written and nothing is loaded: the
# kernel only reads these files at the next boot (systemd-modules-load) or modprobe call.
private_overlay /etc
mkdir -p /etc/modules-load.d /etc/modprobe.d

# systemd-modules-load loads every module named here at boot (the rootkit's .ko would sit in
# /lib/modules/$(uname -r)/extra/).
echo 'netfilter_helper' > /etc/modules-load.d/netfilter-helper.conf

# A modprobe "install" line runs a shell command whenever the named module is requested, a
# second way back in that needs no module at all.
cat > /etc/modprobe.d/netfilter-helper.conf <<'CONF'
install netfilter_helper /sbin/modprobe --ignore-install netfilter_helper; /bin/sh -c '/var/tmp/.nf-helper &'
CONF
grep -q netfilter_helper /etc/modules-load.d/netfilter-helper.conf /etc/modprobe.d/netfilter-helper.conf
