// SPDX-License-Identifier: Apache-2.0
#include "sensor.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "kestrel.skel.h"
#include "libbpf_log.h"
#include "preflight.h"

namespace kestrel {

namespace {

std::string ErrnoText(int err) {
  char buf[128];
  libbpf_strerror(err < 0 ? -err : err, buf, sizeof buf);
  return buf;
}

std::string WithLibbpfLog(std::string message) {
  std::string log = CapturedLibbpfLog();
  if (!log.empty()) message += "\nlibbpf: " + log;
  return message;
}

/// The vmlinux BTF symbol a program's section attaches to, or "" if the type needs no check.
std::string HookSymbol(bpf_program* prog, int* kind) {
  std::string section = bpf_program__section_name(prog);
  size_t slash = section.find('/');
  if (slash == std::string::npos) return "";
  std::string target = section.substr(slash + 1);
  switch (bpf_program__expected_attach_type(prog)) {
    case BPF_TRACE_RAW_TP:
      *kind = BTF_KIND_TYPEDEF;
      return "btf_trace_" + target;
    case BPF_LSM_MAC:
      *kind = BTF_KIND_FUNC;
      return "bpf_lsm_" + target;
    case BPF_TRACE_FENTRY:
    case BPF_TRACE_FEXIT:
      *kind = BTF_KIND_FUNC;
      return target;
    default:
      return "";
  }
}

/// Empty if the program's hook exists in the running kernel, else a sentence saying it does not.
std::string MissingHook(const btf* vmlinux, bpf_program* prog) {
  int kind = 0;
  std::string symbol = HookSymbol(prog, &kind);
  if (symbol.empty() || btf__find_by_name_kind(vmlinux, symbol.c_str(), kind) > 0) return "";
  return std::string("hook ") + bpf_program__section_name(prog) +
         " does not exist in this kernel (no " + symbol + " in vmlinux BTF)";
}

}  // namespace

BpfSensor::~BpfSensor() { Close(); }

void BpfSensor::Require(State state, const char* method) const {
  static const char* names[] = {"closed", "open", "loaded", "attached"};
  if (state_ != state) {
    throw SensorError(std::string(method) + "() needs a sensor that is " +
                      names[static_cast<int>(state)] + ", but it is " + names[static_cast<int>(state_)]);
  }
}

void BpfSensor::Open(uint32_t ring_bytes, const std::vector<std::string>* programs, uint32_t self_tgid,
                     const CaptureOptions& capture) {
  Require(State::kClosed, "open");
  if (std::string why = MissingKernelBtf(); !why.empty()) throw SensorError(why);
  if (std::string why = MissingPrivileges(); !why.empty()) throw SensorError(why);
  StartLibbpfCapture();
  skel_ = kestrel_bpf__open();
  if (!skel_) throw SensorError(WithLibbpfLog("cannot open the BPF object: " + ErrnoText(errno)));
  ring_bytes_ = ring_bytes;
  int err = bpf_map__set_max_entries(skel_->maps.kestrel_events, ring_bytes);
  if (err) {
    Close();
    throw SensorError("cannot size the ring buffer to " + std::to_string(ring_bytes) + " bytes: " + ErrnoText(err));
  }
  skel_->rodata->kestrel_self_tgid = self_tgid;
  skel_->rodata->kestrel_capture_env = capture.capture_env;
  skel_->rodata->kestrel_watch_reads = capture.watch_reads;
  capture_ = capture;
  try {
    SelectPrograms(programs);
  } catch (...) {
    Close();
    throw;
  }
  state_ = State::kOpened;
}

void BpfSensor::SelectPrograms(const std::vector<std::string>* requested) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) throw SensorError("cannot read the kernel BTF: " + ErrnoText(errno));
  std::unordered_set<std::string> wanted;
  if (requested) wanted.insert(requested->begin(), requested->end());

  bpf_program* prog;
  std::string missing_hooks;
  bpf_object__for_each_program(prog, skel_->obj) {
    ProgramState p;
    p.name = bpf_program__name(prog);
    p.section = bpf_program__section_name(prog);
    p.prog = prog;
    std::string missing = MissingHook(vmlinux, prog);
    if (requested) {
      p.selected = wanted.erase(p.name) > 0;
      if (p.selected && !missing.empty()) missing_hooks += "\nprogram " + p.name + ": " + missing;
      if (!p.selected) p.skipped = "not requested";
    } else {
      p.selected = missing.empty();
      p.skipped = missing;
    }
    bpf_program__set_autoload(prog, p.selected);
    programs_.push_back(std::move(p));
  }
  btf__free(vmlinux);
  if (!wanted.empty()) {
    std::string known;
    for (const auto& p : programs_) known += (known.empty() ? "" : ", ") + p.name;
    throw SensorError("unknown program " + *wanted.begin() + " (known: " + known + ")");
  }
  if (!missing_hooks.empty()) throw SensorError("requested programs cannot run on this kernel:" + missing_hooks);
}

void BpfSensor::Load() {
  Require(State::kOpened, "load");
  StartLibbpfCapture();
  int err = kestrel_bpf__load(skel_);
  if (err) {
    std::string message = "cannot load the BPF programs: " + ErrnoText(err);
    if (err == -EPERM || err == -EACCES) {
      if (std::string why = MissingPrivileges(); !why.empty()) message += " (" + why + ")";
    }
    throw SensorError(WithLibbpfLog(message));
  }
  try {
    FillWatchLists();
  } catch (...) {
    Close();
    throw;
  }
  err = ring_.Open(bpf_map__fd(skel_->maps.kestrel_events), ring_bytes_);
  if (err) throw SensorError("cannot map the ring buffer: " + ErrnoText(err));
  state_ = State::kLoaded;
}

// The read watch maps are keyed by the NUL-padded name; names that do not fit a key could never
// match a dentry the program copies, so they are refused rather than silently cut.
void BpfSensor::FillWatchLists() {
  // The prefilter bitmap (see kestrel_watch_prefix in bpf/lib/file_events.h): cleared, then one
  // bit per (length, first byte) of each name. The .bss is memory-mapped after load.
  auto& prefix = skel_->bss->kestrel_watch_prefix;
  memset(prefix, 0, sizeof(prefix));
  auto fill = [&prefix](bpf_map* map, const std::vector<std::string>& names, const char* what) {
    for (const auto& name : names) {
      // Matches struct watch_name in bpf/lib/file_events.h (KESTREL_WATCH_NAME_LEN in layout.json);
      // libbpf checks the key size against the map's.
      struct {
        char name[32];
      } key{};
      if (name.empty() || name.size() >= sizeof(key.name) || name.find('/') != std::string::npos) {
        throw SensorError(std::string("cannot watch ") + what + " '" + name + "': a name is 1 to " +
                          std::to_string(sizeof(key.name) - 1) + " bytes without '/'");
      }
      memcpy(key.name, name.data(), name.size());
      uint8_t one = 1;
      int err = bpf_map__update_elem(map, &key, sizeof(key), &one, sizeof(one), BPF_ANY);
      if (err) throw SensorError(std::string("cannot watch ") + what + " '" + name + "': " + ErrnoText(err));
      uint32_t bit = (static_cast<uint32_t>(name.size()) << 8) | static_cast<uint8_t>(name[0]);
      prefix[bit >> 6] |= uint64_t{1} << (bit & 63);
    }
  };
  fill(skel_->maps.kestrel_watch_files, capture_.watch_files, "file name");
  fill(skel_->maps.kestrel_watch_dirs, capture_.watch_dirs, "folder name");
}

void BpfSensor::SetWatchLists(std::vector<std::string> files, std::vector<std::string> dirs) {
  if (state_ != State::kLoaded && state_ != State::kAttached) throw SensorError("setWatchLists() needs a loaded sensor");
  if (!capture_.watch_reads) {
    throw SensorError("setWatchLists(): the sensor was opened without a read watch list");
  }
  // Delete every key, then fill: a name dropped from the list stops being reported at once.
  for (bpf_map* map : {skel_->maps.kestrel_watch_files, skel_->maps.kestrel_watch_dirs}) {
    char key[32];
    while (bpf_map__get_next_key(map, nullptr, key, sizeof(key)) == 0) {
      if (bpf_map__delete_elem(map, key, sizeof(key), 0) != 0) break;
    }
  }
  capture_.watch_files = std::move(files);
  capture_.watch_dirs = std::move(dirs);
  FillWatchLists();
}

void BpfSensor::Attach() {
  Require(State::kLoaded, "attach");
  StartLibbpfCapture();
  for (auto& p : programs_) {
    if (!p.selected) continue;
    p.link = bpf_program__attach(p.prog);
    if (!p.link) {
      int err = errno;
      for (auto& q : programs_) {
        bpf_link__destroy(q.link);
        q.link = nullptr;
      }
      throw SensorError(WithLibbpfLog("cannot attach program " + p.name + " (" + p.section + "): " + ErrnoText(err)));
    }
  }
  state_ = State::kAttached;
}

void BpfSensor::Close() {
  for (auto& p : programs_) bpf_link__destroy(p.link);
  programs_.clear();
  ring_.Close();
  if (skel_) kestrel_bpf__destroy(skel_);
  skel_ = nullptr;
  state_ = State::kClosed;
}

SensorStats BpfSensor::Stats() const {
  SensorStats stats;
  stats.events = ring_.events();
  stats.bytes = ring_.bytes();
  if (state_ == State::kLoaded || state_ == State::kAttached) {
    int ncpus = libbpf_num_possible_cpus();
    if (ncpus > 0) {
      stats.drops_per_cpu.assign(ncpus, 0);
      uint32_t key = 0;
      bpf_map__lookup_elem(skel_->maps.kestrel_drops, &key, sizeof key, stats.drops_per_cpu.data(),
                           sizeof(uint64_t) * ncpus, 0);
    }
  }
  return stats;
}

}  // namespace kestrel
