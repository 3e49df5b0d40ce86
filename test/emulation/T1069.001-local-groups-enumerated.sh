# technique: T1069.001
# tactic: discovery
# name: Local groups and privileged group members enumerated with getent, groups and id
# expect: detected
. "$EMULATION_LIB"
need getent id groups grep
# Looking for accounts in sudo, adm, docker, lxd, disk or shadow: groups that lead to root.
getent group >/dev/null
getent group sudo adm docker lxd disk shadow wheel >/dev/null || true
grep -E '^(sudo|adm|wheel|docker|lxd|disk|shadow):' /etc/group >/dev/null || true
groups >/dev/null
id -Gn >/dev/null
id -G root >/dev/null
