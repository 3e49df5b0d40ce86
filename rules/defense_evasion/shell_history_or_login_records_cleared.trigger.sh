# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /root
echo "ls" > /root/.bash_history
rm /root/.bash_history
echo "ls" > /root/.bash_history
truncate -s 0 /root/.bash_history
