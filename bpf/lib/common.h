/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Maps, load-time configuration and the event header shared by every Kestrel BPF program.
 * Each program file is compiled on its own and bpftool links them into one object; the maps and
 * the configuration are __weak here so every unit sees the same definition and the linker keeps
 * exactly one of each. */
#ifndef KESTREL_COMMON_H
#define KESTREL_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

/* The sensor's own tgid, written by the loader before load: events caused by the sensor itself
 * are dropped in the kernel so that its writes and sockets cannot feed back into the stream. */
const volatile __u32 kestrel_self_tgid __weak = 0;

/* The one ring buffer every program writes to. Its size is set by the loader before load
 * (bpf_map__set_max_entries); the value here is only the default. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} kestrel_events SEC(".maps") __weak;

/* Failed reservations (ring full), per CPU so the counter never bounces between cores. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} kestrel_drops SEC(".maps") __weak;

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == kestrel_self_tgid;
}

/* Reserves one fixed-size event in the ring or counts a drop. Fixed sizes keep the verifier
 * happy (bpf_ringbuf_reserve needs a constant) and the userspace decoder trivial. */
#define reserve_event(type) ((type *)reserve_bytes(sizeof(type)))

static __always_inline void *reserve_bytes(__u64 size)
{
	void *event = bpf_ringbuf_reserve(&kestrel_events, size, 0);
	if (!event) {
		__u32 zero = 0;
		__u64 *drops = bpf_map_lookup_elem(&kestrel_drops, &zero);
		if (drops)
			__sync_fetch_and_add(drops, 1);
	}
	return event;
}

/* Fills the common header from the current task. */
static __always_inline void fill_header(struct kestrel_header *hdr, __u32 kind)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	hdr->kind = kind;
	hdr->flags = 0;
	hdr->time_ns = bpf_ktime_get_boot_ns();
	hdr->pid = (__u32)id;
	hdr->tgid = id >> 32;
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	hdr->uid = BPF_CORE_READ(task, cred, uid.val);
	hdr->gid = BPF_CORE_READ(task, cred, gid.val);
	hdr->euid = BPF_CORE_READ(task, cred, euid.val);
	hdr->start_time = BPF_CORE_READ(task, group_leader, start_boottime);
	bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
}

#endif /* KESTREL_COMMON_H */
