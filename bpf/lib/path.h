/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Full paths without bpf_d_path(): the helper is refused in tracepoint programs (and BPF
 * trampolines, where it is allowed, are not available on every kernel), so paths come from a
 * bounded dentry walk that crosses mount points. The walk runs under bpf_loop() (5.17+) so the
 * verifier checks one iteration instead of unrolling KESTREL_PATH_DEPTH of them.
 *
 * Paths are built in a per-CPU scratch buffer of 2 * KESTREL_PATH_LEN bytes: the walk writes
 * components backwards so the directory part ends at buf[KESTREL_PATH_LEN - 1], and a user-space
 * suffix ("name" of an *at() call) can then be appended from buf[KESTREL_PATH_LEN] on. Every
 * index is masked, so the verifier can prove each access stays inside the buffer. */
#ifndef KESTREL_PATH_H
#define KESTREL_PATH_H

#include "common.h"
#include "fd.h"

#define PATH_MASK (KESTREL_PATH_LEN - 1)
#define NAME_MASK 255 /* NAME_MAX */

_Static_assert((KESTREL_PATH_LEN & PATH_MASK) == 0, "KESTREL_PATH_LEN must be a power of two");

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

struct walk_state {
	struct path_scratch *s;
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root; /* the mount's root dentry, read again only when crossing a mount */
	__u32 pos;       /* start of the string built so far */
	bool complete;   /* reached the root */
};

/* One step up: either one path component, or a jump from a mount's root to its mount point. */
static long walk_step(__u32 index, struct walk_state *w)
{
	/* Locals, not w->field, inside BPF_CORE_READ: walk_state is not a kernel type, so a field
	 * access on it must not become part of a CO-RE relocation. */
	struct dentry *dentry = w->dentry;
	struct mount *mnt = w->mnt;

	if (dentry == w->mnt_root) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt) { /* root of the mount tree */
			w->complete = true;
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		struct vfsmount *vfsmnt = (struct vfsmount *)((char *)mnt_parent + bpf_core_field_offset(struct mount, mnt));
		w->mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	struct qstr name = BPF_CORE_READ(dentry, d_name);
	if (dentry == parent) {
		/* Its own parent: the root of a filesystem not mounted anywhere above (named "/"), or a
		 * pseudo file's dentry (memfd_create, anonymous inodes), named e.g. "memfd:NAME", whose
		 * name is the whole path, as the kernel's d_path shows it ("/memfd:NAME (deleted)"). */
		char first = 0;
		bpf_probe_read_kernel(&first, 1, name.name);
		w->complete = true;
		if (first == '/' || name.len == 0)
			return 1;
	}
	__u32 len = name.len & NAME_MASK;
	__u32 pos = w->pos;
	if (len + 1 > pos)
		return 1; /* does not fit: truncated */
	pos -= len;
	bpf_probe_read_kernel(&w->s->buf[pos & PATH_MASK], len, name.name);
	pos--;
	w->s->buf[pos & PATH_MASK] = '/';
	w->pos = pos;
	w->dentry = parent;
	return dentry == parent ? 1 : 0;
}

/* Writes the path of `path` so that it ends (NUL) at s->buf[KESTREL_PATH_LEN - 1]; returns the
 * start offset. *complete is false when the depth or length bound cut it short. */
static __always_inline __u32 walk_path(struct path_scratch *s, const struct path *path, bool *complete)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct walk_state w = {
		.s = s,
		.dentry = BPF_CORE_READ(path, dentry),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.pos = KESTREL_PATH_LEN - 1,
		.complete = false,
	};
	w.mnt = container_of(vfsmnt, struct mount, mnt);
	s->buf[PATH_MASK] = 0;
	bpf_loop(KESTREL_PATH_DEPTH, walk_step, &w, 0);
	if (w.pos == KESTREL_PATH_LEN - 1) { /* the root itself */
		w.pos--;
		s->buf[w.pos & PATH_MASK] = '/';
	}
	*complete = w.complete;
	return w.pos & PATH_MASK;
}

/* Copies the walked string s->buf[start .. KESTREL_PATH_LEN) (NUL included) to out; returns
 * its byte count (1 .. KESTREL_PATH_LEN). Only the used bytes are copied: out is usually an
 * event tail, which is sent only as far as it is used. */
static __always_inline __u32 copy_out(char *out, struct path_scratch *s, __u32 start)
{
	__u32 len = KESTREL_PATH_LEN - (start & PATH_MASK);
	bpf_probe_read_kernel(out, len, &s->buf[start & PATH_MASK]);
	return len;
}

/* The full path of a struct path into out (at most KESTREL_PATH_LEN bytes, NUL-terminated).
 * Returns the bytes written; *complete is false if the path was cut short. */
static __always_inline __u32 path_of(const struct path *path, char *out, bool *complete)
{
	struct path_scratch *s = path_scratch();
	*complete = false;
	if (!s) {
		out[0] = 0;
		return 1;
	}
	return copy_out(out, s, walk_path(s, path, complete));
}

#define AT_FDCWD -100

/* The full path named by (dirfd, user path) as an *at() syscall resolves it: absolute user paths
 * are taken as they are, relative ones are appended to the walked path of dirfd (or of the
 * working directory for AT_FDCWD). "." and ".." and symlinks are not resolved. Writes at most
 * KESTREL_PATH_LEN bytes, NUL-terminated, to out and returns their count; *complete is false if
 * the path was cut short. */
static __always_inline __u32 path_at(int dirfd, const char *upath, char *out, bool *complete)
{
	struct path_scratch *s = path_scratch();
	char first = 0;
	*complete = false;
	out[0] = 0;
	if (!s)
		return 1;
	bpf_probe_read_user(&first, 1, upath);
	if (first == '/') {
		long n = bpf_probe_read_user_str(out, KESTREL_PATH_LEN, upath);
		if (n <= 0)
			return 1;
		*complete = n < KESTREL_PATH_LEN;
		return at_most(n, KESTREL_PATH_LEN);
	}

	const struct path *base;
	if (dirfd == AT_FDCWD) {
		struct task_struct *task = bpf_get_current_task_btf();
		base = &task->fs->pwd;
	} else {
		struct file *dir = file_of_fd(dirfd);
		if (!dir)
			return 1;
		base = &dir->f_path;
	}
	bool walked = false;
	__u32 start = walk_path(s, base, &walked);
	/* "/" + name: the separator goes into the directory's NUL slot, except after "/". */
	bool root = start == KESTREL_PATH_LEN - 2;
	char *name = root ? &s->buf[PATH_MASK] : &s->buf[KESTREL_PATH_LEN];
	if (!root)
		s->buf[PATH_MASK] = '/';
	long n = bpf_probe_read_user_str(name, KESTREL_PATH_LEN - 1, upath);
	if (n <= 0) {
		name[0] = 0;
		n = 1;
	}
	__u32 total = (root ? PATH_MASK : KESTREL_PATH_LEN) - start + n;
	__u32 len = at_most(total, KESTREL_PATH_LEN);
	if (len == 0)
		return 1;
	bpf_probe_read_kernel(out, len, &s->buf[start & PATH_MASK]);
	out[(len - 1) & PATH_MASK] = 0; /* cut short: the last byte kept becomes the NUL */
	*complete = walked && total <= KESTREL_PATH_LEN;
	return len;
}

#endif /* KESTREL_PATH_H */
