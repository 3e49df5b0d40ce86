# technique: T1485
# tactic: impact
# name: Application data and its backup overwritten and removed with shred -uz
# expect: detected
. "$EMULATION_LIB"
need shred dd find
# A wiper pass over an application's data folder: every file is overwritten several times and
# unlinked so that it cannot be recovered from the disk. The "application" lives in $PWD.
mkdir -p srv/app/data srv/app/backup
for i in 1 2 3 4 5 6; do
	dd if=/dev/urandom of="srv/app/data/records-$i.db" bs=4k count=4 2>/dev/null
done
tar -czf srv/app/backup/data-nightly.tgz -C srv/app data
find srv/app -type f -exec shred -n 3 -u -z {} \;
shred --remove --zero -n 1 srv/app 2>/dev/null || true
test -z "$(find srv/app -type f)"
