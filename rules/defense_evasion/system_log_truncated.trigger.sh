# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /var/log
echo "sshd[1]: Accepted password for root" > /var/log/auth.log
cat /dev/null > /var/log/auth.log
