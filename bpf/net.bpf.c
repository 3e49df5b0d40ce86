// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Network: connect, accept, bind, listen on AF_INET / AF_INET6 sockets.
 * connect/bind/listen use BPF LSM socket hooks (stable since 5.7 as BPF LSM; the hooks
 * themselves date from 2.6): they run in the calling task's context for every protocol and see
 * the address the caller passed. accept uses fexit on inet_csk_accept() because the accepted
 * socket's peer is only known once the accept returns. */
#include "lib/common.h"
#include "lib/sock.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* socket_connect: security_socket_connect() from __sys_connect_file(), before the connect. */
SEC("lsm/socket_connect")
int BPF_PROG(net_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	if (is_self() || !is_inet_family(BPF_CORE_READ(address, sa_family)))
		return 0;
	struct kestrel_net *e = reserve_net_event(KESTREL_EV_NET_CONNECT, BPF_CORE_READ(sock, sk));
	if (!e)
		return 0;
	read_sockaddr(address, e->remote_addr, &e->remote_port);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* socket_bind: security_socket_bind() from __sys_bind(), with the requested local address. */
SEC("lsm/socket_bind")
int BPF_PROG(net_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	if (is_self() || !is_inet_family(BPF_CORE_READ(address, sa_family)))
		return 0;
	struct kestrel_net *e = reserve_net_event(KESTREL_EV_NET_BIND, BPF_CORE_READ(sock, sk));
	if (!e)
		return 0;
	read_sockaddr(address, e->local_addr, &e->local_port);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* socket_listen: security_socket_listen() from __sys_listen(); the socket is bound by now (or
 * gets an ephemeral port inside listen, in which case local_port is still 0). */
SEC("lsm/socket_listen")
int BPF_PROG(net_listen, struct socket *sock, int backlog)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (is_self() || !is_inet_family(BPF_CORE_READ(sk, __sk_common.skc_family)))
		return 0;
	struct kestrel_net *e = reserve_net_event(KESTREL_EV_NET_LISTEN, sk);
	if (!e)
		return 0;
	e->backlog = backlog;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* inet_csk_accept() returns the new connection's sock for TCP (v4 and v6) in the accepting
 * task. Its arguments changed in 6.10, so the return value is read with bpf_get_func_ret()
 * (5.17+), which does not depend on the argument count. fexit is available since 5.5. */
SEC("fexit/inet_csk_accept")
int BPF_PROG(net_accept)
{
	__u64 ret = 0;
	if (is_self() || bpf_get_func_ret(ctx, &ret) < 0 || !ret)
		return 0;
	struct sock *sk = (struct sock *)ret;
	if (!is_inet_family(BPF_CORE_READ(sk, __sk_common.skc_family)))
		return 0;
	struct kestrel_net *e = reserve_net_event(KESTREL_EV_NET_ACCEPT, sk);
	if (!e)
		return 0;
	e->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET)
		bpf_core_read(e->remote_addr, 4, &sk->__sk_common.skc_daddr);
	else
		bpf_core_read(e->remote_addr, 16, &sk->__sk_common.skc_v6_daddr);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
