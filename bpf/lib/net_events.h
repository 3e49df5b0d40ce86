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

#define IPPROTO_UDP 17
#define DNS_PORT 53
#define DNS_HEADER_BYTES 12

/* recvfrom returned `len` bytes into `buf`: a DNS response when the socket is UDP and the peer's
 * port is 53 — the connected peer (glibc's resolver connects its socket) or, for an unconnected
 * socket, the source address recvfrom filled in. recv() is recvfrom on x86-64, so this runs for
 * every TCP read as well: the first tests (length, socket protocol) are the cheap ones. */
static __always_inline void dns_received(int fd, const void *buf, long len, const void *src_addr)
{
	if (len < DNS_HEADER_BYTES)
		return;
	struct sock *sk = sock_of_fd(fd);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	__u16 port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	struct {
		__u16 family;
		__u16 port;
		__u8 addr4[4];
	} from = {};
	if (port != DNS_PORT && src_addr) {
		bpf_probe_read_user(&from, sizeof(from), src_addr);
		port = bpf_ntohs(from.port);
	}
	if (port != DNS_PORT)
		return;
	struct kestrel_dns *e = scratch_event(struct kestrel_dns);
	if (!e)
		return;
	fill_header(&e->hdr, KESTREL_EV_NET_DNS);
	e->family = family;
	e->remote_port = port;
	e->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	__builtin_memset(e->local_addr, 0, sizeof(e->local_addr));
	__builtin_memset(e->remote_addr, 0, sizeof(e->remote_addr));
	if (family == AF_INET) {
		bpf_core_read(e->local_addr, 4, &sk->__sk_common.skc_rcv_saddr);
		if (BPF_CORE_READ(sk, __sk_common.skc_dport))
			bpf_core_read(e->remote_addr, 4, &sk->__sk_common.skc_daddr);
		else
			__builtin_memcpy(e->remote_addr, from.addr4, 4);
	} else {
		bpf_core_read(e->local_addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	long m = len > KESTREL_DNS_LEN ? KESTREL_DNS_LEN : len;
	/* The mask only tells the verifier what the comparison already did (clang may test a copy). */
	__u32 n = m & (2 * KESTREL_DNS_LEN - 1);
	if (bpf_probe_read_user(e->tail, n, buf) < 0)
		n = 0;
	e->payload_len = n;
	send_event(e, event_size(struct kestrel_dns, n));
}

#endif /* KESTREL_NET_EVENTS_H */
