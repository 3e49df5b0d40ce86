// SPDX-License-Identifier: Apache-2.0
#include "preflight.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>


namespace kestrel {

namespace {
bool HasCap(const __user_cap_data_struct (&data)[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}
}  // namespace

std::string MissingPrivileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return "cannot read the process capabilities";
  // CAP_BPF (39) and CAP_PERFMON (38) exist since 5.8 and together allow tracing and LSM
  // programs; CAP_SYS_ADMIN implies both (and is what kernels before 5.8 require).
  constexpr int kCapBpf = 39, kCapPerfmon = 38;
  bool admin = HasCap(data, CAP_SYS_ADMIN);
  std::string missing;
  if (!admin && !HasCap(data, kCapBpf)) missing += " CAP_BPF";
  if (!admin && !HasCap(data, kCapPerfmon)) missing += " CAP_PERFMON";
  if (missing.empty()) return "";
  return std::string(geteuid() == 0 ? "running as root but missing" : "not root: missing") + missing +
         " (run as root, or grant CAP_BPF and CAP_PERFMON)";
}

std::string MissingKernelBtf() {
  if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) return "";
  return "no kernel BTF: /sys/kernel/btf/vmlinux is missing (the kernel needs CONFIG_DEBUG_INFO_BTF=y)";
}

}  // namespace kestrel
