# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /etc
mkdir -p /etc/sudoers.d
echo "intruder ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/90-intruder
