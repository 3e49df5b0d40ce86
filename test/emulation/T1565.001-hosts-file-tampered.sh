# technique: T1565.001
# tactic: impact
# name: /etc/hosts tampered to redirect update and security-vendor names
# expect: detected
. "$EMULATION_LIB"
need grep
# Miners and stealers point security vendors' and rivals' update servers at nothing, or an internal
# name at the attacker's box, by editing /etc/hosts. /etc is a private overlay here.
private_overlay /etc
cat >> /etc/hosts <<'H'
127.0.0.1 update.eset.com
127.0.0.1 download.comodo.com
0.0.0.0 pool.supportxmr.com
10.13.37.5 gitlab.internal
H
grep -q 'gitlab.internal' /etc/hosts
