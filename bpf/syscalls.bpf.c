// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* File, network, credential, ptrace and memfd events from the raw syscall tracepoints.
 *
 * Why this hook: raw_syscalls:sys_exit is a stable tracepoint (since 2.6.33) that,
 * as a tp_btf program (5.5+), needs neither tracefs nor BPF trampolines. BPF LSM and fentry/fexit
 * would give kernel-resolved paths, but both attach through trampolines, which some kernels
 * refuse (this project's CI kernel answers EPERM to any fentry/LSM load, see docs/sensor.md),
 * and the LSM additionally has to be enabled at boot. Working at syscall exit also means only
 * successful operations are reported.
 *
 * Only the exit is hooked (credential changes take their "before" from the userspace process
 * table). Cost: the program runs for every syscall of every process, so the first thing it does
 * is a switch on the syscall number that falls through for everything uninteresting. */
#include "lib/common.h"
#include "lib/syscall.h"
#include "lib/file_events.h"
#include "lib/net_events.h"
#include "lib/cred_events.h"
#include "lib/proc_events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EINPROGRESS 115
#define O_ACCMODE 3
#define O_RDONLY 0
#define O_TRUNC 01000
#define AT_REMOVEDIR 0x200

#define LSM_SETID_ID 1
#define LSM_SETID_RE 2
#define LSM_SETID_RES 4
#define LSM_SETID_FS 8

/* Exit: the call's outcome is known; build the event for the successful ones. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = SYSCALL_NR(regs);

	switch (id) {
	/* Writable opens are reported; read-only ones only for watched names (file_read_opened).
	 * Most opens are read-only (every exec maps its libraries), so they take the cheap path;
	 * creat is always writable, and openat2's flags sit in user memory (struct open_how). */
	case __NR_open:
		if (ret >= 0 && !is_self()) {
			if ((ARG2(regs) & O_ACCMODE) != O_RDONLY)
				file_opened(ret, ARG2(regs) & O_TRUNC);
			else
				file_read_opened(ret);
		}
		return 0;
	case __NR_openat:
		if (ret >= 0 && !is_self()) {
			if ((ARG3(regs) & O_ACCMODE) != O_RDONLY)
				file_opened(ret, ARG3(regs) & O_TRUNC);
			else
				file_read_opened(ret);
		}
		return 0;
	case __NR_creat: /* creat(2) is open(O_CREAT | O_WRONLY | O_TRUNC) */
		if (ret >= 0 && !is_self())
			file_opened(ret, true);
		return 0;
	case __NR_openat2:
		if (ret >= 0 && !is_self()) {
			__u64 how_flags = 0; /* struct open_how starts with the u64 flags */
			bpf_probe_read_user(&how_flags, sizeof(how_flags), (const void *)ARG3(regs));
			if ((how_flags & O_ACCMODE) != O_RDONLY)
				file_opened(ret, how_flags & O_TRUNC);
			else
				file_read_opened(ret);
		}
		return 0;
	case __NR_unlink:
		if (ret == 0 && !is_self())
			file_unlinked(AT_FDCWD, (const char *)ARG1(regs));
		return 0;
	case __NR_unlinkat:
		if (ret == 0 && !is_self() && !(ARG3(regs) & AT_REMOVEDIR))
			file_unlinked(ARG1(regs), (const char *)ARG2(regs));
		return 0;
	case __NR_rename:
		if (ret == 0 && !is_self())
			file_renamed(AT_FDCWD, (const char *)ARG1(regs), AT_FDCWD, (const char *)ARG2(regs), 0);
		return 0;
	case __NR_renameat:
	case __NR_renameat2:
		if (ret == 0 && !is_self())
			file_renamed(ARG1(regs), (const char *)ARG2(regs), ARG3(regs), (const char *)ARG4(regs),
				     id == __NR_renameat2 ? ARG5(regs) : 0);
		return 0;
	case __NR_chmod:
		if (ret == 0 && !is_self())
			file_chmodded(AT_FDCWD, (const char *)ARG1(regs), ARG2(regs));
		return 0;
	case __NR_fchmod:
		if (ret == 0 && !is_self())
			file_chmodded(ARG1(regs), 0, ARG2(regs));
		return 0;
	case __NR_fchmodat:
	case __NR_fchmodat2:
		if (ret == 0 && !is_self())
			file_chmodded(ARG1(regs), (const char *)ARG2(regs), ARG3(regs));
		return 0;
	case __NR_chown:
	case __NR_lchown:
		if (ret == 0 && !is_self())
			file_chowned(AT_FDCWD, (const char *)ARG1(regs), ARG2(regs), ARG3(regs));
		return 0;
	case __NR_fchown:
		if (ret == 0 && !is_self())
			file_chowned(ARG1(regs), 0, ARG2(regs), ARG3(regs));
		return 0;
	case __NR_fchownat:
		if (ret == 0 && !is_self())
			file_chowned(ARG1(regs), (const char *)ARG2(regs), ARG3(regs), ARG4(regs));
		return 0;
	case __NR_connect:
		if ((ret == 0 || ret == -EINPROGRESS) && !is_self())
			socket_event(KESTREL_EV_NET_CONNECT, ARG1(regs), 0);
		return 0;
	case __NR_accept:
	case __NR_accept4:
		if (ret >= 0 && !is_self())
			socket_event(KESTREL_EV_NET_ACCEPT, ret, 0);
		return 0;
	case __NR_recvfrom:
		if (ret > 0 && !is_self())
			dns_received(ARG1(regs), (const void *)ARG2(regs), ret, (const void *)ARG5(regs));
		return 0;
	case __NR_bind:
		if (ret == 0 && !is_self())
			socket_event(KESTREL_EV_NET_BIND, ARG1(regs), 0);
		return 0;
	case __NR_listen:
		if (ret == 0 && !is_self())
			socket_event(KESTREL_EV_NET_LISTEN, ARG1(regs), ARG2(regs));
		return 0;
	/* setfsuid/setfsgid return the previous id, never an error: always "successful". */
	case __NR_setuid:
		if (ret == 0 && !is_self())
			ids_changed(false, LSM_SETID_ID);
		return 0;
	case __NR_setreuid:
		if (ret == 0 && !is_self())
			ids_changed(false, LSM_SETID_RE);
		return 0;
	case __NR_setresuid:
		if (ret == 0 && !is_self())
			ids_changed(false, LSM_SETID_RES);
		return 0;
	case __NR_setfsuid:
		if (!is_self())
			ids_changed(false, LSM_SETID_FS);
		return 0;
	case __NR_setgid:
		if (ret == 0 && !is_self())
			ids_changed(true, LSM_SETID_ID);
		return 0;
	case __NR_setregid:
		if (ret == 0 && !is_self())
			ids_changed(true, LSM_SETID_RE);
		return 0;
	case __NR_setresgid:
		if (ret == 0 && !is_self())
			ids_changed(true, LSM_SETID_RES);
		return 0;
	case __NR_setfsgid:
		if (!is_self())
			ids_changed(true, LSM_SETID_FS);
		return 0;
	case __NR_capset:
		if (ret == 0 && !is_self())
			caps_changed();
		return 0;
	case __NR_ptrace:
		if (ret == 0 && !is_self())
			ptrace_attached(ARG1(regs), ARG2(regs));
		return 0;
	case __NR_memfd_create:
		if (ret >= 0 && !is_self())
			memfd_created((const char *)ARG1(regs), ARG2(regs));
		return 0;
	default:
		return 0;
	}
}
