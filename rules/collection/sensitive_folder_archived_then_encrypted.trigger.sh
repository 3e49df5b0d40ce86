# Live trigger (unshare --mount --net; /tmp is a private tmpfs): archive a file under /etc, then
# encrypt the archive with openssl, from one shell.
mount -t tmpfs kestrel-trigger /tmp
tar czf /tmp/e.tgz /etc/hostname 2>/dev/null
openssl enc -aes-256-cbc -pbkdf2 -k not-a-secret -in /tmp/e.tgz -out /tmp/e.bin
