# technique: T1110.002
# tactic: credential-access
# name: Stolen sha512crypt hash cracked offline with a wordlist and openssl passwd
# expect: detected
. "$EMULATION_LIB"
need openssl
# The loot: a shadow line taken earlier (made up here, for a made-up user), copied off to a work folder.
printf 'svc-backup:%s:19700:0:99999:7:::\n' "$(openssl passwd -6 -salt Qx7vLk2p 'letmein1')" > shadow.loot

# A small dictionary attack with what is on the box (no john or hashcat): hash each candidate with
# the entry's own salt and compare.
cat > words.txt <<'WORDS'
123456
password
qwerty
welcome1
Summer2024
changeme
letmein1
admin123
WORDS
entry=$(cut -d: -f2 shadow.loot)
salt=$(echo "$entry" | cut -d'$' -f3)
found=
while read -r word; do
	if [ "$(openssl passwd -6 -salt "$salt" "$word")" = "$entry" ]; then found=$word; break; fi
done < words.txt
echo "svc-backup:$found" > cracked.txt
test "$found" = letmein1
