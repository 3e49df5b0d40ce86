// SPDX-License-Identifier: Apache-2.0
#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace kestrel {

namespace {
std::mutex g_mutex;
std::string g_log;
constexpr size_t kMaxLog = 64 * 1024;  // verifier logs can be long; keep the tail

int Capture(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof line, format, args);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_log.append(line);
  if (g_log.size() > kMaxLog) g_log.erase(0, g_log.size() - kMaxLog);
  return n;
}
}  // namespace

void StartLibbpfCapture() {
  libbpf_set_print(Capture);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_log.clear();
}

std::string CapturedLibbpfLog(size_t max_chars) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_log.size() <= max_chars) return g_log;
  return "..." + g_log.substr(g_log.size() - max_chars);
}

}  // namespace kestrel
