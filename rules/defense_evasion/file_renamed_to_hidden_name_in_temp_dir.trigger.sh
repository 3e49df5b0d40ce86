# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /tmp
echo x > /tmp/payload
mv /tmp/payload /tmp/.payload
