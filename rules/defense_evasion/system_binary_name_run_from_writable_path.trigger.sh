# Live trigger (unshare --mount --net; /tmp is a private tmpfs): a harmless binary under a daemon's
# name, then under a name with a trailing space.
mount -t tmpfs kestrel-trigger /tmp
cp /bin/true /tmp/sshd
/tmp/sshd
cp /bin/true '/tmp/cron '
'/tmp/cron '
