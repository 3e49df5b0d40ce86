// SPDX-License-Identifier: Apache-2.0
// The BPF side of the sensor without any N-API: opens the embedded object (skeleton), selects
// programs, loads, attaches, and owns the ring reader. Every failure throws SensorError with a
// message that names what is missing (privilege, kernel BTF, a hook, a program).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ring_reader.h"

struct kestrel_bpf;
struct bpf_program;
struct bpf_link;

namespace kestrel {

class SensorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ProgramState {
  std::string name;
  std::string section;  // e.g. "tp_btf/sys_exit"
  bool selected = false;
  std::string skipped;  // why an unrequested program was left out ("" if selected)
  bpf_program* prog = nullptr;
  bpf_link* link = nullptr;
};

struct SensorStats {
  std::vector<uint64_t> drops_per_cpu;
  uint64_t events = 0;
  uint64_t bytes = 0;
};

/// What the programs capture beyond the fixed events, set before load.
struct CaptureOptions {
  /// Exec events carry the environment (user space keeps the configured names).
  bool capture_env = false;
  /// Whether read-only opens are checked against the watch lists at all (the lists may start
  /// empty and be filled by SetWatchLists later).
  bool watch_reads = false;
  /// Read-only opens of files with these names, or in folders with these names, are reported.
  std::vector<std::string> watch_files;
  std::vector<std::string> watch_dirs;
};

class BpfSensor {
 public:
  BpfSensor() = default;
  ~BpfSensor();
  BpfSensor(const BpfSensor&) = delete;
  BpfSensor& operator=(const BpfSensor&) = delete;

  /// Opens the object with a ring of ring_bytes. programs == nullptr selects every program whose
  /// hook exists in this kernel (the others are listed as skipped); an explicit list must name
  /// programs that exist and whose hooks exist.
  void Open(uint32_t ring_bytes, const std::vector<std::string>* programs, uint32_t self_tgid,
            const CaptureOptions& capture);
  void Load();
  void Attach();
  /// Replaces the read watch lists of a loaded sensor. Only possible when it was opened with a
  /// watch list (the programs skip the lookups otherwise).
  void SetWatchLists(std::vector<std::string> files, std::vector<std::string> dirs);
  void Close();

  RingReader& ring() { return ring_; }
  SensorStats Stats() const;
  const std::vector<ProgramState>& programs() const { return programs_; }
  bool attached() const { return state_ == State::kAttached; }

 private:
  enum class State { kClosed, kOpened, kLoaded, kAttached };
  void Require(State state, const char* method) const;
  void SelectPrograms(const std::vector<std::string>* requested);
  void FillWatchLists();

  State state_ = State::kClosed;
  kestrel_bpf* skel_ = nullptr;
  uint32_t ring_bytes_ = 0;
  CaptureOptions capture_;
  std::vector<ProgramState> programs_;
  RingReader ring_;
};

}  // namespace kestrel
