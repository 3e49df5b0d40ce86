# Live trigger (unshare --mount --net; /tmp is a private tmpfs): the host's /etc/shadow read by
# cat, as a hash-collection step would, and an SSH private key copied out of a user's .ssh folder.
# Nothing is written outside the tmpfs.
mount -t tmpfs kestrel-trigger /tmp
cat /etc/shadow > /dev/null
mkdir -p /tmp/victim/.ssh
printf 'not a real key\n' > /tmp/victim/.ssh/id_ed25519
cp /tmp/victim/.ssh/id_ed25519 /tmp/loot
