/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* From a file descriptor of the current task to its struct file / struct sock. Used at syscall
 * exit, when the fd an open/accept returned (or the one a call was given) is installed. */
#ifndef KESTREL_FD_H
#define KESTREL_FD_H

#include "common.h"

#define S_IFMT 00170000
#define S_IFREG 0100000
#define S_IFSOCK 0140000

/* The fd table is reached by plain loads from the current task (a trusted BTF pointer); the
 * table slot itself, indexed by a runtime fd, needs one bpf_probe_read_kernel. */
static __always_inline struct file *file_of_fd(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = 0;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return 0;
	struct file **table = fdt->fd;
	bpf_probe_read_kernel(&file, sizeof(file), &table[fd]);
	return file;
}

static __always_inline __u32 file_type(struct file *file)
{
	return BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT;
}

/* The struct sock behind a socket fd, or NULL if the fd is not a socket. */
static __always_inline struct sock *sock_of_fd(int fd)
{
	struct file *file = file_of_fd(fd);
	if (!file || file_type(file) != S_IFSOCK)
		return 0;
	struct socket *socket = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(socket, sk);
}

#endif /* KESTREL_FD_H */
