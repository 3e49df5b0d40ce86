# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes. A binary run from /tmp removes
# its own file (a copy of rm told to delete itself).
mount -t tmpfs kestrel-trigger /tmp
cp /bin/rm /tmp/cleaner
/tmp/cleaner /tmp/cleaner
