# Live trigger (unshare --mount --net; /tmp is a private tmpfs): a tiny x86-64 ELF laid out as UPX
# lays out a packed program (ELF header, one PT_LOAD, then UPX's l_info with its "UPX!" magic) that
# only calls exit(0). Debian 12 has no upx package, so the packed layout is written here byte by byte.
[ "$(uname -m)" = x86_64 ] || { echo "this trigger's program is x86-64 code" >&2; exit 1; }
mount -t tmpfs kestrel-trigger /tmp
printf '\177\105\114\106\002\001\001\000\000\000\000\000\000\000\000\000\002\000\076\000\001\000\000\000\204\000\100\000\000\000\000\000\100\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\100\000\070\000\001\000\000\000\000\000\000\000\001\000\000\000\005\000\000\000\000\000\000\000\000\000\000\000\000\000\100\000\000\000\000\000\000\000\100\000\000\000\000\000\215\000\000\000\000\000\000\000\215\000\000\000\000\000\000\000\000\020\000\000\000\000\000\000\000\000\000\000\125\120\130\041\000\000\015\026\270\074\000\000\000\061\377\017\005' > /tmp/packed
chmod +x /tmp/packed
/tmp/packed
