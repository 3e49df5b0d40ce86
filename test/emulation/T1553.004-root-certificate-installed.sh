# technique: T1553.004
# tactic: defense-evasion
# name: Attacker root CA added to the system trust store with update-ca-certificates
# expect: detected
. "$EMULATION_LIB"
need openssl update-ca-certificates
# A machine-in-the-middle CA is generated and installed so that TLS interception of the host's
# traffic is trusted. /etc and the local CA folder are private overlays; the trust-store hooks
# folder is emptied so no Java keystore or dpkg trigger is touched, and /tmp (where the tool keeps
# its scratch files) is a private tmpfs, so only relative paths into $PWD are used after it.
private_overlay /etc
private_overlay /usr/local/share/ca-certificates
private_tmpfs /etc/ca-certificates/update.d
private_tmpfs /tmp
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Global Secure Root CA" \
	-keyout mitm.key -out mitm.crt 2>/dev/null
cp mitm.crt /usr/local/share/ca-certificates/global-secure-root.crt
update-ca-certificates >/dev/null 2>&1
grep -q "$(sed -n 2p mitm.crt)" /etc/ssl/certs/ca-certificates.crt
