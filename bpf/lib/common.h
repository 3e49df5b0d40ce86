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

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *drops = bpf_map_lookup_elem(&kestrel_drops, &zero);
	if (drops)
		__sync_fetch_and_add(drops, 1);
}

/* Events without strings have a fixed size: reserved in the ring and written in place
 * (bpf_ringbuf_reserve needs a constant size), or a drop is counted. */
#define reserve_event(type) ((type *)reserve_bytes(sizeof(type)))

static __always_inline void *reserve_bytes(__u64 size)
{
	void *event = bpf_ringbuf_reserve(&kestrel_events, size, 0);
	if (!event)
		count_drop();
	return event;
}

/* Events with strings (a "tail", see layout.json) are built in this per-CPU scratch and only
 * their used part is copied into the ring (send_event), so a file event takes ~100-200 ring
 * bytes instead of its full struct. The programs run with preemption disabled and none of them
 * can interrupt another on the same CPU (task-context tracepoints only), so one scratch per CPU
 * is enough. Sized for the largest event, exec. */
struct event_scratch {
	__u8 bytes[sizeof(struct kestrel_exec)];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_scratch);
} kestrel_event_scratch SEC(".maps") __weak;

#define scratch_event(type) ((type *)scratch_bytes())

static __always_inline void *scratch_bytes(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&kestrel_event_scratch, &zero);
}

/* Copies the first `size` bytes of a scratch event into the ring, or counts a drop. */
static __always_inline void send_event(void *event, __u64 size)
{
	if (size > sizeof(struct event_scratch))
		size = sizeof(struct event_scratch);
	if (bpf_ringbuf_output(&kestrel_events, event, size, 0))
		count_drop();
}

/* The bytes of an event of `type` whose tail holds `tail_bytes`. */
#define event_size(type, tail_bytes) (__builtin_offsetof(type, tail) + (__u64)(tail_bytes))

/* min(n, max), for lengths and tail positions the verifier must see bounded. */
static __always_inline __u32 at_most(__u32 n, __u32 max)
{
	return n > max ? max : n;
}

/* Fills the common header from the current task. The task is a trusted BTF pointer, and so are
 * the pointers read from it: plain loads (which the JIT emits inline, fault-safe and CO-RE
 * relocated) instead of one bpf_probe_read_kernel call per field, as this runs for every event. */
static __always_inline void fill_header(struct kestrel_header *hdr, __u32 kind)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = task->cred;
	__u64 id = bpf_get_current_pid_tgid();

	hdr->kind = kind;
	hdr->flags = 0;
	hdr->time_ns = bpf_ktime_get_boot_ns();
	hdr->pid = (__u32)id;
	hdr->tgid = id >> 32;
	hdr->ppid = task->real_parent->tgid;
	hdr->uid = cred->uid.val;
	hdr->gid = cred->gid.val;
	hdr->euid = cred->euid.val;
	hdr->start_time = task->group_leader->start_boottime;
	bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
}

#endif /* KESTREL_COMMON_H */
