/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Full paths for events. Two ways, because the kernel allows bpf_d_path() only in some hooks:
 *  - path_of_dir_entry(): bpf_d_path() of a directory plus one dentry name, for LSM path hooks
 *    (allowed there since 5.10);
 *  - walk_path(): a bounded dentry walk that crosses mounts, for the exec tracepoint where
 *    bpf_d_path() is refused. It stops after KESTREL_PATH_DEPTH components (flag set). */
#ifndef KESTREL_PATH_H
#define KESTREL_PATH_H

#include "common.h"

#define PATH_MASK (KESTREL_PATH_LEN - 1)
#define NAME_MASK 255 /* NAME_MAX */

_Static_assert((KESTREL_PATH_LEN & PATH_MASK) == 0, "KESTREL_PATH_LEN must be a power of two");

/* Twice the path length so that "offset masked to PATH_MASK + length up to PATH_LEN" is provably
 * inside the buffer for the verifier. */
struct path_scratch {
	char buf[2 * KESTREL_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} kestrel_path_scratch SEC(".maps") __weak;

static __always_inline struct path_scratch *path_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&kestrel_path_scratch, &zero);
}

/* Writes "<d_path(dir)>/<name of entry>" into out (KESTREL_PATH_LEN bytes). Returns false (and
 * leaves as much as it could) when the result does not fit. */
static __always_inline bool path_of_dir_entry(const struct path *dir, struct dentry *entry, char *out)
{
	struct path_scratch *s = path_scratch();
	if (!s)
		return false;
	long len = bpf_d_path((struct path *)dir, s->buf, KESTREL_PATH_LEN);
	if (len <= 0) {
		out[0] = 0;
		return false;
	}
	__u32 end = (len - 1) & PATH_MASK; /* index of the NUL */
	if (end >= PATH_MASK) { /* no room for "/name" */
		bpf_probe_read_kernel(out, KESTREL_PATH_LEN, s->buf);
		return false;
	}
	if (end > 1 || s->buf[0] != '/') { /* "/" already ends with a slash */
		s->buf[end & PATH_MASK] = '/';
		end++;
	}
	const unsigned char *name = BPF_CORE_READ(entry, d_name.name);
	long n = bpf_probe_read_kernel_str(&s->buf[end & PATH_MASK], NAME_MASK + 1, name);
	bool fits = n > 0 && end + n <= KESTREL_PATH_LEN;
	bpf_probe_read_kernel(out, KESTREL_PATH_LEN, s->buf);
	out[PATH_MASK] = 0;
	return fits;
}

/* Walks from path->dentry up to the root of the mount tree, writing components backwards so that
 * the result ends at buf[KESTREL_PATH_LEN - 1]. Returns the start offset of the string in s->buf;
 * sets *truncated when the depth or length bound cut it short. */
static __always_inline __u32 walk_path(struct path_scratch *s, const struct path *path, bool *truncated)
{
	struct dentry *dentry = BPF_CORE_READ(path, dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	__u32 pos = KESTREL_PATH_LEN - 1;

	s->buf[pos & PATH_MASK] = 0;
	*truncated = true;
	for (int i = 0; i < KESTREL_PATH_DEPTH; i++) {
		struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (dentry == mnt_root) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			if (mnt_parent == mnt) { /* root of the mount tree */
				*truncated = false;
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			vfsmnt = (struct vfsmount *)((char *)mnt + bpf_core_field_offset(struct mount, mnt));
			continue;
		}
		if (dentry == parent) { /* filesystem root not under a mount: nothing above */
			*truncated = false;
			break;
		}
		struct qstr qname = BPF_CORE_READ(dentry, d_name);
		__u32 len = qname.len & NAME_MASK;
		if (len + 1 > pos)
			break;
		pos -= len;
		bpf_probe_read_kernel(&s->buf[pos & PATH_MASK], len, qname.name);
		pos--;
		s->buf[pos & PATH_MASK] = '/';
		dentry = parent;
	}
	if (pos == KESTREL_PATH_LEN - 1) { /* the root itself */
		pos--;
		s->buf[pos & PATH_MASK] = '/';
	}
	return pos & PATH_MASK;
}

/* walk_path() into out (KESTREL_PATH_LEN bytes). Returns false when the path was cut short. */
static __always_inline bool copy_walked_path(const struct path *path, char *out)
{
	struct path_scratch *s = path_scratch();
	bool truncated = true;
	if (!s) {
		out[0] = 0;
		return false;
	}
	__u32 start = walk_path(s, path, &truncated);
	__u32 len = KESTREL_PATH_LEN - start; /* 1..KESTREL_PATH_LEN, NUL included */
	if (len > KESTREL_PATH_LEN)
		len = KESTREL_PATH_LEN;
	bpf_probe_read_kernel(out, len, &s->buf[start]);
	return !truncated;
}

#endif /* KESTREL_PATH_H */
