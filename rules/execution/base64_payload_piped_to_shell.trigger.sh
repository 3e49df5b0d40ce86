# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
echo ZWNobyBoZWxsbyA+L2Rldi9udWxsCg== | base64 -d | sh
