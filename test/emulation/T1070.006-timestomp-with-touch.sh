# technique: T1070.006
# tactic: defense-evasion
# name: Dropped implant and its config timestomped with touch -r and touch -t
# expect: detected
. "$EMULATION_LIB"
need touch stat
# An implant and its config are dropped next to real system files, then given old, plausible
# timestamps so that "recently modified" triage (find -newer, ls -lt) does not show them.
mkdir -p lib/x86_64-linux-gnu
printf '\177ELF-not-really-an-implant\n' > lib/x86_64-linux-gnu/libpam_cache.so.1
printf 'beacon=300\n' > lib/x86_64-linux-gnu/.pam_cache.conf
touch -r /bin/ls lib/x86_64-linux-gnu/libpam_cache.so.1
touch -a -m -t 202001011200.00 lib/x86_64-linux-gnu/.pam_cache.conf
touch --date="2021-06-01 09:30:00" lib/x86_64-linux-gnu
stat -c '%y %n' lib/x86_64-linux-gnu/libpam_cache.so.1 lib/x86_64-linux-gnu/.pam_cache.conf >/dev/null
