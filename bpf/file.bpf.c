// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* File changes: open for write / create, unlink, rename, chmod, chown.
 * All hooks are BPF LSM hooks (CONFIG_BPF_LSM, "bpf" in the active LSM list, kernel >= 5.7):
 * they see every path-based operation whatever the syscall variant (open/openat/openat2,
 * unlink/unlinkat, rename/renameat2, chmod/fchmodat, chown/lchown/fchownat) and are in the set
 * where bpf_d_path() is allowed (5.10+). They run before the operation, after the kernel's own
 * permission checks, so an event is an attempt that the DAC checks let through. The programs
 * only observe: they always return 0 (allow). */
#include "lib/common.h"
#include "lib/path.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FMODE_WRITE 0x2
#define S_IFMT 00170000
#define S_IFREG 0100000

/* file_open: called from do_dentry_open() for every open that reaches a file, including the one
 * that created it (f_mode then carries FMODE_CREATED). Only writable regular files are reported. */
SEC("lsm/file_open")
int BPF_PROG(file_open, struct file *file)
{
	if (is_self())
		return 0;
	__u32 fmode = BPF_CORE_READ(file, f_mode);
	if (!(fmode & FMODE_WRITE))
		return 0;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFREG)
		return 0;
	struct kestrel_file_open *e = reserve_event(struct kestrel_file_open);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_FILE_OPEN);
	e->open_flags = BPF_CORE_READ(file, f_flags);
	e->fmode = fmode;
	if (bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path)) < 0) {
		e->path[0] = 0;
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* path_unlink: security_path_unlink() from do_unlinkat(), with the parent directory's path. */
SEC("lsm/path_unlink")
int BPF_PROG(file_unlink, const struct path *dir, struct dentry *dentry)
{
	if (is_self())
		return 0;
	struct kestrel_file_path *e = reserve_event(struct kestrel_file_path);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_FILE_UNLINK);
	if (!path_of_dir_entry(dir, dentry, e->path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* path_rename: security_path_rename() from do_renameat2(), both parents' paths and both names. */
SEC("lsm/path_rename")
int BPF_PROG(file_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	if (is_self())
		return 0;
	struct kestrel_file_rename *e = reserve_event(struct kestrel_file_rename);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_FILE_RENAME);
	e->rename_flags = flags;
	e->_pad = 0;
	if (!path_of_dir_entry(old_dir, old_dentry, e->old_path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	if (!path_of_dir_entry(new_dir, new_dentry, e->new_path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH2;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* path_chmod: security_path_chmod() from chmod_common(), for every chmod variant. */
SEC("lsm/path_chmod")
int BPF_PROG(file_chmod, const struct path *path, umode_t mode)
{
	if (is_self())
		return 0;
	struct kestrel_file_chmod *e = reserve_event(struct kestrel_file_chmod);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_FILE_CHMOD);
	e->mode = mode;
	e->_pad = 0;
	if (bpf_d_path((struct path *)path, e->path, sizeof(e->path)) < 0) {
		e->path[0] = 0;
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* path_chown: security_path_chown() from chown_common(). kuid_t/kgid_t are passed by value (one
 * register each), so they are read from the raw context rather than through BPF_PROG's casts. */
SEC("lsm/path_chown")
int file_chown(unsigned long long *ctx)
{
	if (is_self())
		return 0;
	const struct path *path = (const struct path *)ctx[0];
	struct kestrel_file_chown *e = reserve_event(struct kestrel_file_chown);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_FILE_CHOWN);
	e->new_uid = (__u32)ctx[1];
	e->new_gid = (__u32)ctx[2];
	if (bpf_d_path((struct path *)path, e->path, sizeof(e->path)) < 0) {
		e->path[0] = 0;
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
