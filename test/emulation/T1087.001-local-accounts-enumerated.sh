# technique: T1087.001
# tactic: discovery
# name: Local accounts enumerated from /etc/passwd, getent, lastlog and login records
# expect: detected
. "$EMULATION_LIB"
need getent id groups lastlog who last awk
# What an intruder runs first to find accounts worth taking over: every account, the ones with a
# login shell or UID 0, who has logged in recently, and each interesting account's groups.
cat /etc/passwd >/dev/null
getent passwd >/dev/null
awk -F: '$3 == 0 || $7 ~ /(ba|z|da)?sh$/ { print $1 }' /etc/passwd >/dev/null
id root >/dev/null
groups root >/dev/null
lastlog >/dev/null 2>&1 || true
who >/dev/null
last -n 20 >/dev/null 2>&1 || true
