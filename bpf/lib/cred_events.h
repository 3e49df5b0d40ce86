/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Credential changes: the old ids/caps are snapshotted at syscall entry (per thread), the new
 * ones read from the task at exit, once the change is committed. */
#ifndef KESTREL_CRED_EVENTS_H
#define KESTREL_CRED_EVENTS_H

#include "common.h"

struct cred_snapshot {
	__u32 uids[4]; /* real, effective, saved, fs */
	__u32 gids[4];
	__u64 caps[3]; /* effective, permitted, inheritable */
};

/* LRU so a thread that never returns from the call cannot leak an entry forever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct cred_snapshot);
} kestrel_cred_before SEC(".maps") __weak;

/* kernel_cap_t was { u32 cap[2] } before 6.3 and { u64 val } since: both are 8 little-endian
 * bytes, so reading 8 bytes works on either. */
static __always_inline __u64 read_caps(const kernel_cap_t *caps)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), caps);
	return v;
}

static __always_inline void read_creds(struct cred_snapshot *c)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = BPF_CORE_READ(task, real_cred);
	c->uids[0] = BPF_CORE_READ(cred, uid.val);
	c->uids[1] = BPF_CORE_READ(cred, euid.val);
	c->uids[2] = BPF_CORE_READ(cred, suid.val);
	c->uids[3] = BPF_CORE_READ(cred, fsuid.val);
	c->gids[0] = BPF_CORE_READ(cred, gid.val);
	c->gids[1] = BPF_CORE_READ(cred, egid.val);
	c->gids[2] = BPF_CORE_READ(cred, sgid.val);
	c->gids[3] = BPF_CORE_READ(cred, fsgid.val);
	c->caps[0] = read_caps(&cred->cap_effective);
	c->caps[1] = read_caps(&cred->cap_permitted);
	c->caps[2] = read_caps(&cred->cap_inheritable);
}

static __always_inline void snapshot_creds(void)
{
	struct cred_snapshot c;
	__u64 id = bpf_get_current_pid_tgid();
	read_creds(&c);
	bpf_map_update_elem(&kestrel_cred_before, &id, &c, BPF_ANY);
}

/* Takes (and forgets) this thread's snapshot; NULL if entry was not seen. */
static __always_inline bool take_snapshot(struct cred_snapshot *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct cred_snapshot *c = bpf_map_lookup_elem(&kestrel_cred_before, &id);
	if (!c)
		return false;
	__builtin_memcpy(out, c, sizeof(*out));
	bpf_map_delete_elem(&kestrel_cred_before, &id);
	return true;
}

/* setuid-family (gids = false) or setgid-family (gids = true); setid_flags = LSM_SETID_*. */
static __always_inline void ids_changed(bool success, bool gids, __u32 setid_flags)
{
	struct cred_snapshot old, now;
	if (!take_snapshot(&old) || !success)
		return;
	read_creds(&now);
	struct kestrel_cred_ids *e = reserve_event(struct kestrel_cred_ids);
	if (!e)
		return;
	fill_header(&e->hdr, gids ? KESTREL_EV_CRED_SETGID : KESTREL_EV_CRED_SETUID);
	const __u32 *before = gids ? old.gids : old.uids;
	const __u32 *after = gids ? now.gids : now.uids;
	e->old_real = before[0];
	e->old_effective = before[1];
	e->old_saved = before[2];
	e->old_fs = before[3];
	e->new_real = after[0];
	e->new_effective = after[1];
	e->new_saved = after[2];
	e->new_fs = after[3];
	e->setid_flags = setid_flags;
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void caps_changed(bool success)
{
	struct cred_snapshot old, now;
	if (!take_snapshot(&old) || !success)
		return;
	read_creds(&now);
	struct kestrel_capset *e = reserve_event(struct kestrel_capset);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_CRED_CAPSET);
	e->old_effective = old.caps[0];
	e->old_permitted = old.caps[1];
	e->old_inheritable = old.caps[2];
	e->new_effective = now.caps[0];
	e->new_permitted = now.caps[1];
	e->new_inheritable = now.caps[2];
	bpf_ringbuf_submit(e, 0);
}

#endif /* KESTREL_CRED_EVENTS_H */
