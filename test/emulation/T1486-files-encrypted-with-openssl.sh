# technique: T1486
# tactic: impact
# name: Ransomware loop encrypting files with openssl enc, deleting originals and leaving a note
# expect: detected
. "$EMULATION_LIB"
need openssl dd
# The shell-script ransomware pattern seen on Linux servers: for each file, `openssl enc` with a
# per-victim key to <file>.locked, remove the original, then drop a ransom note. The victim files
# are created in $PWD first.
mkdir -p victim/www victim/db
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	dd if=/dev/urandom of="victim/www/page-$i.html" bs=2k count=1 2>/dev/null
done
for i in 1 2 3; do dd if=/dev/urandom of="victim/db/table-$i.ibd" bs=8k count=1 2>/dev/null; done
key=$(openssl rand -hex 32)
for f in victim/www/* victim/db/*; do
	openssl enc -aes-256-cbc -pbkdf2 -salt -pass "pass:$key" -in "$f" -out "$f.locked"
	rm -f "$f"
done
cat > victim/HOW_TO_RESTORE_FILES.txt <<'NOTE'
Your files are encrypted. This is an emulation; nothing here is real.
NOTE
