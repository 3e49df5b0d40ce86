// SPDX-License-Identifier: Apache-2.0
// Captures libbpf's diagnostic output (verifier logs, "prog 'x': failed to load" lines) so that
// errors raised to JS can quote the lines that explain them instead of printing to stderr.
#pragma once

#include <string>

namespace kestrel {

/// Installs the capturing print callback (idempotent) and clears the capture.
void StartLibbpfCapture();
/// The last captured warning/error lines (at most max_chars, from the end).
std::string CapturedLibbpfLog(size_t max_chars = 2000);

}  // namespace kestrel
