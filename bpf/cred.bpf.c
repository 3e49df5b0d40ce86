// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Credential changes: setuid family, setgid family, capset.
 * BPF LSM hooks (5.7+): they receive both the old and the prepared new credentials, for every
 * syscall variant (setuid/setreuid/setresuid/setfsuid and the gid twins), before commit_creds().
 * task_fix_setgid exists since 5.10. */
#include "lib/common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline int report_ids(__u32 kind, const struct cred *new, const struct cred *old,
				      int flags, bool gids)
{
	if (is_self())
		return 0;
	struct kestrel_cred_ids *e = reserve_event(struct kestrel_cred_ids);
	if (!e)
		return 0;
	fill_header(&e->hdr, kind);
	if (gids) {
		e->old_real = BPF_CORE_READ(old, gid.val);
		e->old_effective = BPF_CORE_READ(old, egid.val);
		e->old_saved = BPF_CORE_READ(old, sgid.val);
		e->old_fs = BPF_CORE_READ(old, fsgid.val);
		e->new_real = BPF_CORE_READ(new, gid.val);
		e->new_effective = BPF_CORE_READ(new, egid.val);
		e->new_saved = BPF_CORE_READ(new, sgid.val);
		e->new_fs = BPF_CORE_READ(new, fsgid.val);
	} else {
		e->old_real = BPF_CORE_READ(old, uid.val);
		e->old_effective = BPF_CORE_READ(old, euid.val);
		e->old_saved = BPF_CORE_READ(old, suid.val);
		e->old_fs = BPF_CORE_READ(old, fsuid.val);
		e->new_real = BPF_CORE_READ(new, uid.val);
		e->new_effective = BPF_CORE_READ(new, euid.val);
		e->new_saved = BPF_CORE_READ(new, suid.val);
		e->new_fs = BPF_CORE_READ(new, fsuid.val);
	}
	e->setid_flags = flags;
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* task_fix_setuid: security_task_fix_setuid() from the setuid-family syscalls. */
SEC("lsm/task_fix_setuid")
int BPF_PROG(cred_setuid, struct cred *new, const struct cred *old, int flags)
{
	return report_ids(KESTREL_EV_CRED_SETUID, new, old, flags, false);
}

/* task_fix_setgid: security_task_fix_setgid() from the setgid-family syscalls (5.10+). */
SEC("lsm/task_fix_setgid")
int BPF_PROG(cred_setgid, struct cred *new, const struct cred *old, int flags)
{
	return report_ids(KESTREL_EV_CRED_SETGID, new, old, flags, true);
}

/* kernel_cap_t was { u32 cap[2] } before 6.3 and { u64 val } since: both are 8 little-endian
 * bytes, so reading 8 bytes works on either. */
static __always_inline __u64 read_caps(const kernel_cap_t *caps)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), caps);
	return v;
}

/* capset: security_capset() from the capset syscall, with the requested new sets. */
SEC("lsm/capset")
int BPF_PROG(cred_capset, struct cred *new, const struct cred *old, const kernel_cap_t *effective,
	     const kernel_cap_t *inheritable, const kernel_cap_t *permitted)
{
	if (is_self())
		return 0;
	struct kestrel_capset *e = reserve_event(struct kestrel_capset);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_CRED_CAPSET);
	e->old_effective = read_caps(&old->cap_effective);
	e->old_permitted = read_caps(&old->cap_permitted);
	e->old_inheritable = read_caps(&old->cap_inheritable);
	e->new_effective = read_caps(effective);
	e->new_permitted = read_caps(permitted);
	e->new_inheritable = read_caps(inheritable);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
