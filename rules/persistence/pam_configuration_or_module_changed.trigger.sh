# Live trigger (unshare --mount --net; /etc/pam.d is a private tmpfs, the host's stays untouched).
mount -t tmpfs kestrel-trigger /etc
mkdir -p /etc/pam.d
echo 'auth sufficient pam_permit.so' > /etc/pam.d/sshd
