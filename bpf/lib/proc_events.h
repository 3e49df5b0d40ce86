/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ptrace attach and memfd_create, built at syscall exit once the call succeeded. */
#ifndef KESTREL_PROC_EVENTS_H
#define KESTREL_PROC_EVENTS_H

#include "common.h"

#define PTRACE_TRACEME 0
#define PTRACE_ATTACH 16
#define PTRACE_SEIZE 0x4206

static __always_inline void ptrace_attached(long request, long pid)
{
	if (request != PTRACE_ATTACH && request != PTRACE_SEIZE && request != PTRACE_TRACEME)
		return;
	struct kestrel_ptrace *e = reserve_event(struct kestrel_ptrace);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_PTRACE);
	e->request = request;
	e->target_pid = request == PTRACE_TRACEME ? e->hdr.ppid : (__u32)pid;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void memfd_created(const char *uname, __u32 flags)
{
	struct kestrel_memfd *e = scratch_event(struct kestrel_memfd);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_MEMFD);
	e->mfd_flags = flags;
	long n = bpf_probe_read_user_str(e->tail, KESTREL_MEMFD_NAME_LEN, uname);
	e->name_len = n > 0 ? at_most(n, KESTREL_MEMFD_NAME_LEN) : 0;
	send_event(e, event_size(struct kestrel_memfd, e->name_len));
}

#endif /* KESTREL_PROC_EVENTS_H */
