# Live trigger (unshare --mount --net; /etc is a private tmpfs with a stand-in shadow file): the
# password hash file made world-readable, then handed to another owner.
mount -t tmpfs kestrel-trigger /etc
printf 'root:*:19000:0:99999:7:::\n' > /etc/shadow
chmod 640 /etc/shadow
chmod o+r /etc/shadow
chown 1000 /etc/shadow
