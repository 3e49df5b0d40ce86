# Live trigger (unshare --mount --net; /tmp is a private tmpfs): a planted history searched for
# typed passwords with grep.
mount -t tmpfs kestrel-trigger /tmp
printf 'mysql -u root -pS3cret\nssh admin@10.0.0.5\n' > /tmp/.bash_history
grep -i -- '-p' /tmp/.bash_history > /dev/null
