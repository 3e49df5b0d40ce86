# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /tmp
curl -s -o /tmp/updater file:///bin/true
chmod +x /tmp/updater
/tmp/updater
