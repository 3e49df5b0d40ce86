// SPDX-License-Identifier: Apache-2.0
// Environment checks run before touching libbpf, so that a missing privilege or kernel feature
// is reported by name instead of as a bare EPERM/ENOENT from deep inside a load.
#pragma once

#include <string>

namespace kestrel {

/// Empty when the process may load tracing/LSM BPF programs, else what is missing.
std::string MissingPrivileges();
/// Empty when the kernel exposes its BTF, else what is missing.
std::string MissingKernelBtf();

}  // namespace kestrel
