# technique: T1036.003
# tactic: defense-evasion
# name: curl and wget renamed in /usr/bin so that rules keyed on their names miss later downloads
# expect: detected
. "$EMULATION_LIB"
need curl wget
# Cloud-worm droppers (TeamTNT and its copycats) rename curl and wget, then download with the new
# names, and also keep a copy of a shell under an innocuous name. /usr/bin is a private overlay: the
# renamed copies exist only in $PWD.
private_overlay /usr/bin
mv /usr/bin/curl /usr/bin/cd1
mv /usr/bin/wget /usr/bin/wd1
cp /usr/bin/dash /usr/bin/kdumpd
/usr/bin/cd1 --version >/dev/null
/usr/bin/wd1 --version >/dev/null
/usr/bin/kdumpd -c 'true'
