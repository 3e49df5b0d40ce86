# technique: T1222.002
# tactic: defense-evasion
# name: Dropped miner and its config made immutable with chattr +i
# expect: detected
. "$EMULATION_LIB"
need chattr lsattr
# Miner droppers (Kinsing, TeamTNT) lock their binary and config with the immutable attribute so
# that administrators, cleanup scripts and rival malware cannot delete or replace them, and clear
# the attribute on files they want to change. Everything here is in $PWD.
mkdir .kdevtmpfsi
printf 'not a miner\n' > .kdevtmpfsi/kdevtmpfsi
printf '{"pools":[]}\n' > .kdevtmpfsi/config.json
chmod 0755 .kdevtmpfsi/kdevtmpfsi
chattr +i .kdevtmpfsi/kdevtmpfsi .kdevtmpfsi/config.json
lsattr .kdevtmpfsi >/dev/null
rm -f .kdevtmpfsi/kdevtmpfsi 2>/dev/null || true
# Unlocked again, as the dropper does before an update; it also lets the temporary folder go.
chattr -i .kdevtmpfsi/kdevtmpfsi .kdevtmpfsi/config.json
