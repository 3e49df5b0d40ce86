# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /tmp
cp /bin/true /tmp/rootshell
chown 0:0 /tmp/rootshell
chmod 4755 /tmp/rootshell
