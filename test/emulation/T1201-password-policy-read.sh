# technique: T1201
# tactic: discovery
# name: Password policy read from login.defs, PAM and pwquality before password guessing
# expect: detected
. "$EMULATION_LIB"
need chage grep
# Atomic Red Team T1201 (Linux): learn minimum length, complexity and lockout settings so that a
# password spray stays under the lockout threshold.
cat /etc/pam.d/common-password >/dev/null
cat /etc/security/pwquality.conf >/dev/null 2>&1 || true
cat /etc/security/faillock.conf >/dev/null 2>&1 || true
grep -E '^PASS_(MAX|MIN)_DAYS|^PASS_MIN_LEN|^PASS_WARN_AGE|^ENCRYPT_METHOD' /etc/login.defs >/dev/null
chage -l root >/dev/null
