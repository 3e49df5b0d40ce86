# Live trigger (unshare --mount --net; /tmp is a private tmpfs): a program started with a preload
# library from a hidden file in /tmp. The file does not exist, so the dynamic linker only warns and
# the program runs unhooked; the start with that environment is what the rule sees.
mount -t tmpfs kestrel-trigger /tmp
LD_PRELOAD=/tmp/.hook.so /bin/true 2>/dev/null
