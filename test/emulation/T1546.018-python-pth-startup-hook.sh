# technique: T1546.018
# tactic: persistence
# name: Python .pth startup hook planted in the system dist-packages folder
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need python3
# A private, writable view of the system site folder: the host's copy is never written.
site=/usr/lib/python3/dist-packages
private_overlay "$site"
marker=$PWD/pth-ran

# site.py executes every line of a .pth file that starts with "import" in every Python process that
# starts on the box (apt hooks, cloud agents, admin scripts …), as whichever user runs it.
cat > "$site/distutils-helper.pth" <<PTH
import os; os.path.exists("$marker") or open("$marker", "w").write(str(os.getuid()))
PTH

# Any later Python start runs it.
/usr/bin/python3 -c 'pass'
test -s "$marker"
