// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Kernel module loads. */
#include "lib/common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* module_load: fires once a module is linked in, for init_module and finit_module alike, with
 * the module's own name. Stable tracepoint since 2.6.33, tp_btf since 5.5; it exists only in
 * kernels built with CONFIG_MODULES, so the loader skips this program elsewhere. */
SEC("tp_btf/module_load")
int BPF_PROG(module_load, struct module *mod)
{
	if (is_self())
		return 0;
	struct kestrel_module *e = reserve_event(struct kestrel_module);
	if (!e)
		return 0;
	fill_header(&e->hdr, KESTREL_EV_MODULE_LOAD);
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), BPF_CORE_READ(mod, name));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
