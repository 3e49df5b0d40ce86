# technique: T1136.001
# tactic: persistence
# name: Local backdoor account created with useradd and given a password with chpasswd
# expect: detected
. "$EMULATION_LIB"
need useradd chpasswd
# Private, writable views: the account exists only in this namespace's copy of /etc, the home folder
# only in its copy of /home, and lastlog/faillog entries only in its copy of /var/log.
private_overlay /etc
private_overlay /home
private_overlay /var/log

useradd -m -s /bin/bash -c "System Maintenance" sysmaint
echo 'sysmaint:Summer2024!' | chpasswd
grep -q '^sysmaint:' /etc/passwd
getent shadow sysmaint | grep -q '^sysmaint:\$'
test -d /home/sysmaint
