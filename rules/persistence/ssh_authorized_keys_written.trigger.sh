# Live trigger (test/rules-trigger-live.test.ts runs it in `unshare --mount --net`): what it touches is
# covered by a private tmpfs first, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /root
mkdir -p /root/.ssh
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKestrelTriggerKestrelTriggerKestrelTrig x@y" >> /root/.ssh/authorized_keys
