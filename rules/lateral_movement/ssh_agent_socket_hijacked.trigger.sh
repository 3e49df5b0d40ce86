# Live trigger (unshare --mount --net): a stand-in session process carries SSH_AUTH_SOCK; its
# environment is read through /proc and ssh-add is pointed at the socket found there. No agent
# listens on it, so ssh-add only reports that it cannot connect.
SSH_AUTH_SOCK=/tmp/ssh-Kx3fPq/agent.4242 sleep 10 &
session=$!
sleep 0.2
sock=$(tr '\0' '\n' < /proc/$session/environ | sed -n 's/^SSH_AUTH_SOCK=//p')
SSH_AUTH_SOCK=$sock ssh-add -l > /dev/null 2>&1 || true
kill $session
