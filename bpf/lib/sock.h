/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Socket address helpers for the network programs: AF_INET / AF_INET6 only. */
#ifndef KESTREL_SOCK_H
#define KESTREL_SOCK_H

#include "common.h"
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10

static __always_inline bool is_inet_family(__u16 family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Reserves a net event and fills what the socket itself knows: family, type, protocol and the
 * local (bound) address. */
static __always_inline struct kestrel_net *reserve_net_event(__u32 kind, struct sock *sk)
{
	struct kestrel_net *e = reserve_event(struct kestrel_net);
	if (!e)
		return 0;
	fill_header(&e->hdr, kind);
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->family = family;
	e->sock_type = BPF_CORE_READ(sk, sk_type);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->remote_port = 0;
	e->_pad = 0;
	e->backlog = 0;
	__builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
	__builtin_memset(e->remote_addr, 0, sizeof(e->remote_addr));
	if (family == AF_INET)
		bpf_core_read(e->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(e->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	return e;
}

/* Copies a sockaddr_in / sockaddr_in6 (already known to be inet) into addr/port. */
static __always_inline void read_sockaddr(struct sockaddr *sa, __u8 *addr, __u16 *port)
{
	__u16 family = BPF_CORE_READ(sa, sa_family);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		bpf_core_read(addr, 4, &in->sin_addr.s_addr);
		*port = bpf_ntohs(BPF_CORE_READ(in, sin_port));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		bpf_core_read(addr, 16, &in6->sin6_addr);
		*port = bpf_ntohs(BPF_CORE_READ(in6, sin6_port));
	}
}

#endif /* KESTREL_SOCK_H */
