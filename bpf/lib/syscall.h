/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Syscall numbers (from the build host's uapi headers, i.e. the architecture being built for)
 * and access to a syscall's number and arguments from the user registers saved at entry. At the
 * raw sys_exit tracepoint those registers still hold the arguments (on arm64 the first one is
 * kept in orig_x0, which PT_REGS_PARM1_SYSCALL reads).
 *
 * The registers are read with plain loads, not BPF_CORE_READ: a tp_btf program's pt_regs argument
 * is a BTF pointer, which the verifier lets us dereference directly (a fault-safe load the JIT
 * emits inline, CO-RE relocated through vmlinux.h's preserve_access_index) instead of a
 * bpf_probe_read_kernel helper call. sys_exit runs for every syscall, so this matters. */
#ifndef KESTREL_SYSCALL_H
#define KESTREL_SYSCALL_H

#include "common.h"
#include <asm/unistd.h>

#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#else
#error "lib/syscall.h: unsupported architecture (x86 and arm64 are)"
#endif

/* Legacy path syscalls that arm64 (asm-generic) does not have. */
#ifndef __NR_open
#define __NR_open -1
#define __NR_creat -2
#define __NR_unlink -3
#define __NR_rename -4
#define __NR_chmod -5
#define __NR_chown -6
#define __NR_lchown -7
#endif

#define ARG1(regs) PT_REGS_PARM1_SYSCALL(regs)
#define ARG2(regs) PT_REGS_PARM2_SYSCALL(regs)
#define ARG3(regs) PT_REGS_PARM3_SYSCALL(regs)
#define ARG4(regs) PT_REGS_PARM4_SYSCALL(regs)
#define ARG5(regs) PT_REGS_PARM5_SYSCALL(regs)

#endif /* KESTREL_SYSCALL_H */
