# technique: T1074.001
# tactic: collection
# name: Account, host and configuration files copied to a hidden staging folder, packed and encrypted
# expect: detected
. "$EMULATION_LIB"
need tar openssl find
# Interesting files from several places are gathered in one hidden folder, packed into a single
# archive and encrypted so that the later transfer does not show what it carries. Only copies in
# $PWD are written.
stage=.cache/.s
mkdir -p "$stage"
cp /etc/passwd /etc/group /etc/hosts /etc/fstab "$stage"/
cp /root/.bash_history "$stage"/root.bash_history 2>/dev/null || true
find /etc -maxdepth 2 -type f \( -name '*.conf' -o -name '*.cnf' \) -size -64k 2>/dev/null | head -n 40 |
	while read -r f; do cp "$f" "$stage/$(echo "$f" | tr / _)" 2>/dev/null || true; done
tar -C .cache -czf .cache/s.tgz .s
openssl enc -aes-256-cbc -pbkdf2 -pass pass:st4g3 -in .cache/s.tgz -out .cache/s.bin
rm -rf "$stage" .cache/s.tgz
