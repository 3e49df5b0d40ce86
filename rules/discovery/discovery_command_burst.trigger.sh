# Live trigger (unshare --mount --net): six discovery commands from one shell in a second.
whoami >/dev/null
id >/dev/null
hostname >/dev/null
ps >/dev/null
who >/dev/null
getent passwd root >/dev/null
