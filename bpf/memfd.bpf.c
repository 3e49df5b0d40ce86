// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* memfd_create: anonymous in-memory files, a classic way to run a binary that never touches disk.
 * There is no LSM hook for it, so the program uses fentry on the syscall's entry point
 * (__<arch>_sys_memfd_create, the wrapper every syscall has had since 4.17), reading the user
 * arguments from the saved user registers. */
#include "lib/common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#if defined(__TARGET_ARCH_x86)
#define MEMFD_SYSCALL "fentry/__x64_sys_memfd_create"
#elif defined(__TARGET_ARCH_arm64)
#define MEMFD_SYSCALL "fentry/__arm64_sys_memfd_create"
#else
#error "memfd.bpf.c: unsupported architecture (define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64)"
#endif

SEC(MEMFD_SYSCALL)
int BPF_PROG(process_memfd, struct pt_regs *regs)
{
	if (is_self())
		return 0;
	struct kestrel_memfd *e = reserve_event(struct kestrel_memfd);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_MEMFD);
	const char *uname = (const char *)PT_REGS_PARM1_CORE(regs);
	e->mfd_flags = (__u32)PT_REGS_PARM2_CORE(regs);
	e->_pad = 0;
	if (bpf_probe_read_user_str(e->name, sizeof(e->name), uname) < 0)
		e->name[0] = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
