/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Credential changes, read from the task at syscall exit once the change is committed. Only the
 * new ids and capability sets are sent: the ones before the call are the process table's in
 * userspace (seeded from /proc, kept current from exec, setuid/setgid and capset events). That
 * spares a sys_enter program, which would run for every syscall of every process just to
 * snapshot credentials for these rare calls. */
#ifndef KESTREL_CRED_EVENTS_H
#define KESTREL_CRED_EVENTS_H

#include "common.h"

/* kernel_cap_t was { u32 cap[2] } before 6.3 and { u64 val } since: both are 8 little-endian
 * bytes, so reading 8 bytes works on either. */
static __always_inline __u64 read_caps(const kernel_cap_t *caps)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), caps);
	return v;
}

static __always_inline const struct cred *current_cred(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	return BPF_CORE_READ(task, real_cred);
}

/* setuid-family (gids = false) or setgid-family (gids = true); setid_flags = LSM_SETID_*. */
static __always_inline void ids_changed(bool gids, __u32 setid_flags)
{
	const struct cred *cred = current_cred();
	struct kestrel_cred_ids *e = reserve_event(struct kestrel_cred_ids);
	if (!e)
		return;
	fill_header(&e->hdr, gids ? KESTREL_EV_CRED_SETGID : KESTREL_EV_CRED_SETUID);
	if (gids) {
		e->new_real = BPF_CORE_READ(cred, gid.val);
		e->new_effective = BPF_CORE_READ(cred, egid.val);
		e->new_saved = BPF_CORE_READ(cred, sgid.val);
		e->new_fs = BPF_CORE_READ(cred, fsgid.val);
	} else {
		e->new_real = BPF_CORE_READ(cred, uid.val);
		e->new_effective = BPF_CORE_READ(cred, euid.val);
		e->new_saved = BPF_CORE_READ(cred, suid.val);
		e->new_fs = BPF_CORE_READ(cred, fsuid.val);
	}
	e->setid_flags = setid_flags;
	e->_pad = 0;
	/* A uid change can clear or raise capabilities (root ↔ non-root): the table needs them. */
	e->cap_effective = read_caps(&cred->cap_effective);
	e->cap_permitted = read_caps(&cred->cap_permitted);
	e->cap_inheritable = read_caps(&cred->cap_inheritable);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void caps_changed(void)
{
	const struct cred *cred = current_cred();
	struct kestrel_capset *e = reserve_event(struct kestrel_capset);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_CRED_CAPSET);
	e->new_effective = read_caps(&cred->cap_effective);
	e->new_permitted = read_caps(&cred->cap_permitted);
	e->new_inheritable = read_caps(&cred->cap_inheritable);
	bpf_ringbuf_submit(e, 0);
}

#endif /* KESTREL_CRED_EVENTS_H */
