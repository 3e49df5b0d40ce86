// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Process lifecycle: exec, fork, exit. */
#include "lib/common.h"
#include "lib/path.h"
#include "lib/cred_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TTY_MINOR_BITS 20 /* kernel-internal dev_t: MKDEV(ma, mi) = ma << 20 | mi */

/* The controlling tty's name into out (at most KESTREL_TTY_LEN bytes); returns the bytes written
 * (0 without a tty) and sets e->tty_dev. */
static __always_inline __u32 fill_tty(struct kestrel_exec *e, struct task_struct *task, char *out)
{
	struct tty_struct *tty = BPF_CORE_READ(task, signal, tty);
	if (!tty) {
		e->tty_dev = 0;
		return 0;
	}
	int major = BPF_CORE_READ(tty, driver, major);
	int minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	e->tty_dev = ((__u32)major << TTY_MINOR_BITS) | (__u32)minor;
	long n = bpf_probe_read_kernel_str(out, KESTREL_TTY_LEN, BPF_CORE_READ(tty, name));
	return n > 0 ? at_most(n, KESTREL_TTY_LEN) : 0;
}

/* [start, end) of the new mm's user memory into out, at most `max` bytes in one read (a
 * constant at every call, so the verifier sees the bound); `trunc_flag` marks a cut area. The
 * argv and environment strings were just written by the kernel while building the new stack, so
 * their pages are present. */
static __always_inline __u32 copy_exec_area(struct kestrel_exec *e, unsigned long start, unsigned long end,
					    unsigned long max, __u32 trunc_flag, char *out)
{
	unsigned long len = end - start;

	if (len > max) {
		len = max;
		e->hdr.flags |= trunc_flag;
	}
	if (bpf_probe_read_user(out, len, (void *)start) < 0)
		len = 0;
	return len;
}

/* The argv area, up to KESTREL_ARGS_LEN bytes. */
static __always_inline __u32 fill_args(struct kestrel_exec *e, struct task_struct *task, char *out)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	return copy_exec_area(e, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end), KESTREL_ARGS_LEN, KESTREL_F_TRUNC_ARGS, out);
}

/* Whether exec events carry the environment: set by the loader when the configuration names
 * variables to keep (user space picks those out; the kernel cannot cheaply find names in it). */
const volatile bool kestrel_capture_env __weak = false;

/* The environment area, up to KESTREL_ENV_LEN bytes, when the loader asked for it. */
static __always_inline __u32 fill_env(struct kestrel_exec *e, struct task_struct *task, char *out)
{
	if (!kestrel_capture_env)
		return 0;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	return copy_exec_area(e, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end), KESTREL_ENV_LEN, KESTREL_F_TRUNC_ENV, out);
}

/* sched_process_exec: fires once per successful exec after the point of no return, with the new
 * comm, credentials and mm in place (unlike the syscall entry, it never reports failed execs).
 * Stable tracepoint since 3.4; as tp_btf (typed arguments, no tracefs) since 5.5.
 * The strings are packed into the tail in layout.json's order; each position is bounded by the
 * maxima of the parts before it, so the verifier can check every write. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	struct kestrel_exec *e = scratch_event(struct kestrel_exec);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_EXEC);
	const struct cred *cred = BPF_CORE_READ(task, cred);
	e->egid = BPF_CORE_READ(cred, egid.val);
	e->sid = BPF_CORE_READ(task, signal, pids[PIDTYPE_SID], numbers[0].nr);
	e->argc = BPF_CORE_READ(bprm, argc);
	e->cap_effective = read_caps(&cred->cap_effective);
	e->cap_permitted = read_caps(&cred->cap_permitted);
	e->cap_inheritable = read_caps(&cred->cap_inheritable);

	__u32 pos = 0;
	long n = bpf_probe_read_kernel_str(e->tail, KESTREL_PATH_LEN, BPF_CORE_READ(bprm, filename));
	__u32 len = n > 0 ? at_most(n, KESTREL_PATH_LEN) : 0;
	if (len == KESTREL_PATH_LEN)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH;
	e->filename_len = len;
	pos += len;

	bool complete;
	struct file *exe = BPF_CORE_READ(bprm, file);
	len = at_most(path_of(&exe->f_path, &e->tail[pos], &complete), KESTREL_PATH_LEN);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_PATH2;
	/* An unhashed dentry has no name in any directory: a deleted binary, or a memfd. The kernel
	 * shows such paths with " (deleted)"; user space appends it. */
	if (!BPF_CORE_READ(exe, f_path.dentry, d_hash.pprev))
		e->hdr.flags |= KESTREL_F_EXE_UNLINKED;
	e->exe_len = len;
	pos += len;

	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	len = at_most(path_of(&fs->pwd, &e->tail[pos], &complete), KESTREL_PATH_LEN);
	if (!complete)
		e->hdr.flags |= KESTREL_F_TRUNC_CWD;
	e->cwd_len = len;
	pos += len;

	len = at_most(fill_tty(e, task, &e->tail[pos]), KESTREL_TTY_LEN);
	e->tty_len = len;
	pos += len;

	len = at_most(fill_args(e, task, &e->tail[pos]), KESTREL_ARGS_LEN);
	e->args_len = len;
	pos += len;

	len = at_most(fill_env(e, task, &e->tail[pos]), KESTREL_ENV_LEN);
	e->env_len = len;
	pos += len;

	/* bprm->buf: the first bytes of the file, which the kernel read to pick the binary format
	 * (ELF magic, "#!", a packer's marker after the program headers). Files shorter than the
	 * buffer leave zeros after their end. */
	len = KESTREL_HEADER_LEN < sizeof(bprm->buf) ? KESTREL_HEADER_LEN : sizeof(bprm->buf);
	if (bpf_probe_read_kernel(&e->tail[pos], len, bprm->buf) < 0)
		len = 0;
	e->header_len = len;
	e->_pad = 0;
	pos += len;
	send_event(e, event_size(struct kestrel_exec, pos));
	return 0;
}

/* sched_process_fork: fires in the parent once the child is fully set up (start time known),
 * for processes and threads alike; only new thread-group leaders are reported. Stable since
 * 2.6.32; tp_btf since 5.5. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	if (is_self())
		return 0;
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	struct kestrel_fork *e = reserve_event(struct kestrel_fork);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_FORK);
	e->child_pid = BPF_CORE_READ(child, tgid);
	e->_pad = 0;
	e->child_start_time = BPF_CORE_READ(child, start_boottime);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* sched_process_exit: fires in do_exit() for every thread after signal->live was decremented, so
 * live == 0 marks the last thread of the process (works whether or not the kernel passes the
 * group_dead argument, added in 6.16). Stable since 2.6.32; tp_btf since 5.5. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	if (is_self())
		return 0;
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	struct kestrel_exit *e = reserve_event(struct kestrel_exit);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_PROCESS_EXIT);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->_pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
