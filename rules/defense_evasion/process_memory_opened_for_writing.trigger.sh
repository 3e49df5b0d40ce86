# Live trigger (unshare --mount --net): the shell opens its own /proc/PID/mem read-write (no write
# is made; the open is the event).
exec 3<>/proc/$$/mem
exec 3>&-
