// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ptrace: a process starting to trace another. */
#include "lib/common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PTRACE_TRACEME 0

static __always_inline int report_ptrace(__u32 request, struct task_struct *target)
{
	if (is_self())
		return 0;
	struct kestrel_ptrace *e = reserve_event(struct kestrel_ptrace);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_PTRACE);
	e->request = request;
	e->target_pid = BPF_CORE_READ(target, tgid);
	e->target_tid = BPF_CORE_READ(target, pid);
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ptrace_attach(task, request, addr, flags) handles both PTRACE_ATTACH and PTRACE_SEIZE and is
 * the only place that knows the request; the LSM hook ptrace_access_check also fires for /proc
 * reads and lacks it. A static function, so fentry works only where the compiler kept it out of
 * line (it is in vmlinux BTF on x86-64 builds from 5.5 to today); the loader names this program
 * when it cannot attach. */
SEC("fentry/ptrace_attach")
int BPF_PROG(process_ptrace, struct task_struct *task, long request)
{
	return report_ptrace((__u32)request, task);
}

/* ptrace_traceme: security_ptrace_traceme() for PTRACE_TRACEME, target = the future tracer
 * (the parent). BPF LSM hook, 5.7+. */
SEC("lsm/ptrace_traceme")
int BPF_PROG(process_traceme, struct task_struct *parent)
{
	return report_ptrace(PTRACE_TRACEME, parent);
}
