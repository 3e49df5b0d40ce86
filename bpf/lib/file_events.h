/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* File events, built at syscall exit once the call succeeded. */
#ifndef KESTREL_FILE_EVENTS_H
#define KESTREL_FILE_EVENTS_H

#include "common.h"
#include "fd.h"
#include "path.h"

#define FMODE_WRITE 0x2

/* A file_open event for an opened regular file: flags and mode from the file, the canonical path. */
static __always_inline void send_file_open(struct file *file, __u32 fmode, bool truncating)
{
	struct kestrel_file_open *e = scratch_event(struct kestrel_file_open);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_OPEN);
	e->open_flags = BPF_CORE_READ(file, f_flags);
	/* The kernel clears O_TRUNC from f_flags once the open is done, so it comes from the call. */
	if (truncating)
		e->hdr.flags |= KESTREL_F_OPEN_TRUNC;
	e->fmode = fmode;
	e->_pad = 0;
	bool complete;
	e->path_len = path_of(&file->f_path, e->tail, &complete);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	send_event(e, event_size(struct kestrel_file_open, e->path_len));
}

/* open/creat/openat/openat2 returned fd: report writable regular files. The path comes from the
 * opened file itself, so it is canonical (symlinks and ".." resolved by the kernel). */
static __always_inline void file_opened(int fd, bool truncating)
{
	struct file *file = file_of_fd(fd);
	if (!file)
		return;
	__u32 fmode = BPF_CORE_READ(file, f_mode);
	if (!(fmode & FMODE_WRITE) || file_type(file) != S_IFREG)
		return;
	send_file_open(file, fmode, truncating);
}

/* The read watch list: file names (the last path component) and folder names whose read-only
 * opens are reported. The loader fills both maps from the names the loaded rules look for, so
 * the volume stays that of the files a rule could match; an open that misses costs one fd lookup,
 * a name copy and one or two hash lookups. Keys are NUL-padded names shorter than
 * KESTREL_WATCH_NAME_LEN. */
const volatile bool kestrel_watch_reads __weak = false;

struct watch_name {
	char name[KESTREL_WATCH_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, struct watch_name);
	__type(value, __u8);
} kestrel_watch_files SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, struct watch_name);
	__type(value, __u8);
} kestrel_watch_dirs SEC(".maps") __weak;

/* One bit per (name length, first byte) of every watched file and folder name, written by the
 * loader (the .bss is memory-mapped, so updates need no syscall). Nearly every read-only open is of
 * an unwatched name, and this rejects almost all of them with one load, before the name is copied
 * and hashed. */
__u64 kestrel_watch_prefix[KESTREL_WATCH_NAME_LEN * 256 / 64] __weak;

/* Whether the dentry's name is a key of the map. d_name is read whole (hash_len, name) in one
 * copy; names too long for a key never match. */
static __always_inline bool name_watched(void *map, struct dentry *dentry)
{
	struct qstr q;
	if (BPF_CORE_READ_INTO(&q, dentry, d_name))
		return false;
	__u32 len = q.len;
	if (len == 0 || len >= KESTREL_WATCH_NAME_LEN)
		return false;
	__u8 first = 0;
	bpf_probe_read_kernel(&first, 1, q.name);
	__u32 bit = (len << 8) | first;
	if (!((kestrel_watch_prefix[(bit >> 6) & (KESTREL_WATCH_NAME_LEN * 4 - 1)] >> (bit & 63)) & 1))
		return false;
	struct watch_name key = {};
	bpf_probe_read_kernel_str(key.name, sizeof(key.name), q.name);
	return bpf_map_lookup_elem(map, &key) != 0;
}

/* A read-only open returned fd: reported (as a file_open without FMODE_WRITE) when the file's
 * name or its folder's name is watched and it is a regular file. */
static __always_inline void file_read_opened(int fd)
{
	if (!kestrel_watch_reads)
		return;
	struct file *file = file_of_fd(fd);
	if (!file)
		return;
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	if (!name_watched(&kestrel_watch_files, dentry) && !name_watched(&kestrel_watch_dirs, BPF_CORE_READ(dentry, d_parent)))
		return;
	if (file_type(file) != S_IFREG)
		return;
	send_file_open(file, BPF_CORE_READ(file, f_mode), false);
}

static __always_inline void file_unlinked(int dirfd, const char *upath)
{
	struct kestrel_file_path *e = scratch_event(struct kestrel_file_path);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_UNLINK);
	e->_pad = 0;
	bool complete;
	e->path_len = path_at(dirfd, upath, e->tail, &complete);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	send_event(e, event_size(struct kestrel_file_path, e->path_len));
}

static __always_inline void file_renamed(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
					 __u32 flags)
{
	struct kestrel_file_rename *e = scratch_event(struct kestrel_file_rename);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_RENAME);
	e->rename_flags = flags;
	bool complete;
	__u32 old_len = at_most(path_at(olddirfd, oldpath, e->tail, &complete), KESTREL_PATH_LEN);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	__u32 new_len = path_at(newdirfd, newpath, &e->tail[old_len], &complete);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH2;
	e->old_path_len = old_len;
	e->new_path_len = new_len;
	send_event(e, event_size(struct kestrel_file_rename, old_len + new_len));
}

/* The file a chmod/chown-family call acted on: (dirfd, path), or the open fd itself when upath is
 * NULL (fchmod, fchown). Returns the bytes written to out; *complete false when cut short. */
static __always_inline __u32 path_of_target(int fd, const char *upath, char *out, bool *complete)
{
	if (upath)
		return path_at(fd, upath, out, complete);
	struct file *file = file_of_fd(fd);
	if (!file) {
		*complete = false;
		out[0] = 0;
		return 1;
	}
	return path_of(&file->f_path, out, complete);
}

/* chmod-family: by (dirfd, path), or by fd when upath is NULL (fchmod). */
static __always_inline void file_chmodded(int fd, const char *upath, __u32 mode)
{
	struct kestrel_file_chmod *e = scratch_event(struct kestrel_file_chmod);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_CHMOD);
	e->mode = mode & 07777;
	bool complete;
	e->path_len = path_of_target(fd, upath, e->tail, &complete);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	send_event(e, event_size(struct kestrel_file_chmod, e->path_len));
}

/* chown-family: by (dirfd, path), or by fd when upath is NULL (fchown). */
static __always_inline void file_chowned(int fd, const char *upath, __u32 uid, __u32 gid)
{
	struct kestrel_file_chown *e = scratch_event(struct kestrel_file_chown);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_FILE_CHOWN);
	e->new_uid = uid;
	e->new_gid = gid;
	e->_pad = 0;
	bool complete;
	e->path_len = path_of_target(fd, upath, e->tail, &complete);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	send_event(e, event_size(struct kestrel_file_chown, e->path_len));
}

#endif /* KESTREL_FILE_EVENTS_H */
