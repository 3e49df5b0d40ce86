/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* File events, built at syscall exit once the call succeeded. */
#ifndef KESTREL_FILE_EVENTS_H
#define KESTREL_FILE_EVENTS_H

#include "common.h"
#include "fd.h"
#include "path.h"

#define FMODE_WRITE 0x2

/* open/creat/openat/openat2 returned fd: report writable regular files. The path comes from the
 * opened file itself, so it is canonical (symlinks and ".." resolved by the kernel). */
static __always_inline void file_opened(int fd)
{
	struct file *file = file_of_fd(fd);
	if (!file)
		return;
	__u32 fmode = BPF_CORE_READ(file, f_mode);
	if (!(fmode & FMODE_WRITE) || file_type(file) != S_IFREG)
		return;
	struct kestrel_file_open *e = reserve_event(struct kestrel_file_open);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_OPEN);
	e->open_flags = BPF_CORE_READ(file, f_flags);
	e->fmode = fmode;
	if (!path_of(&file->f_path, e->path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void file_unlinked(int dirfd, const char *upath)
{
	struct kestrel_file_path *e = reserve_event(struct kestrel_file_path);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_UNLINK);
	if (!path_at(dirfd, upath, e->path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void file_renamed(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
					 __u32 flags)
{
	struct kestrel_file_rename *e = reserve_event(struct kestrel_file_rename);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_RENAME);
	e->rename_flags = flags;
	e->_pad = 0;
	if (!path_at(olddirfd, oldpath, e->old_path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	if (!path_at(newdirfd, newpath, e->new_path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH2;
	bpf_ringbuf_submit(e, 0);
}

/* The file a chmod/chown-family call acted on: (dirfd, path), or the open fd itself when upath is
 * NULL (fchmod, fchown). False when the path was cut short. */
static __always_inline bool path_of_target(int fd, const char *upath, char *out)
{
	if (upath)
		return path_at(fd, upath, out);
	struct file *file = file_of_fd(fd);
	return file && path_of(&file->f_path, out);
}

/* chmod-family: by (dirfd, path), or by fd when upath is NULL (fchmod). */
static __always_inline void file_chmodded(int fd, const char *upath, __u32 mode)
{
	struct kestrel_file_chmod *e = reserve_event(struct kestrel_file_chmod);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_CHMOD);
	e->mode = mode & 07777;
	e->_pad = 0;
	if (!path_of_target(fd, upath, e->path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	bpf_ringbuf_submit(e, 0);
}

/* chown-family: by (dirfd, path), or by fd when upath is NULL (fchown). */
static __always_inline void file_chowned(int fd, const char *upath, __u32 uid, __u32 gid)
{
	struct kestrel_file_chown *e = reserve_event(struct kestrel_file_chown);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_CHOWN);
	e->new_uid = uid;
	e->new_gid = gid;
	if (!path_of_target(fd, upath, e->path))
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	bpf_ringbuf_submit(e, 0);
}

#endif /* KESTREL_FILE_EVENTS_H */
