/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Network events, built at syscall exit from the socket itself: after bind/listen the local
 * address and port are final (an ephemeral port included), after connect the peer is set (also
 * for a non-blocking connect still in progress), and accept returns the new connection's fd. */
#ifndef KESTREL_NET_EVENTS_H
#define KESTREL_NET_EVENTS_H

#include "common.h"
#include "fd.h"
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

static __always_inline void socket_event(__u32 kind, int fd, int backlog)
{
	struct sock *sk = sock_of_fd(fd);
	if (!sk)
		return;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	struct kestrel_net *e = reserve_event(struct kestrel_net);
	if (!e)
		return;
	fill_header(&e->hdr, kind);
	e->family = family;
	e->sock_type = BPF_CORE_READ(sk, sk_type);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->_pad = 0;
	e->backlog = backlog;
	__builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
	__builtin_memset(e->remote_addr, 0, sizeof(e->remote_addr));
	if (family == AF_INET) {
		bpf_core_read(e->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->remote_addr, 4, &sk->__sk_common.skc_daddr);
	} else {
		bpf_core_read(e->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_ringbuf_submit(e, 0);
}

#endif /* KESTREL_NET_EVENTS_H */
