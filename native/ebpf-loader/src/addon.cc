// SPDX-License-Identifier: Apache-2.0
// N-API binding of the sensor: class EbpfSensor { open, load, attach, drain, wait, epollFd,
// onReadable, stats, programs, close }. Argument errors are TypeError/RangeError with the option
// name; everything from the BPF side is an Error whose message names what is missing.
#include <napi.h>
#include <uv.h>
#include <unistd.h>
#include <time.h>
#include <sys/syscall.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <cstdint>

#include <memory>
#include <string>
#include <vector>

#include "crc32c.h"
#include "sensor.h"

namespace {

using kestrel::BpfSensor;
using kestrel::SensorError;

constexpr uint32_t kMaxRingBytes = 1u << 30;

class EbpfSensor : public Napi::ObjectWrap<EbpfSensor> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "EbpfSensor",
                       {
                           InstanceMethod<&EbpfSensor::Open>("open"),
                           InstanceMethod<&EbpfSensor::Load>("load"),
                           InstanceMethod<&EbpfSensor::SetWatchLists>("setWatchLists"),
                           InstanceMethod<&EbpfSensor::Attach>("attach"),
                           InstanceMethod<&EbpfSensor::Drain>("drain"),
                           InstanceMethod<&EbpfSensor::Wait>("wait"),
                           InstanceMethod<&EbpfSensor::EpollFd>("epollFd"),
                           InstanceMethod<&EbpfSensor::OnReadable>("onReadable"),
                           InstanceMethod<&EbpfSensor::Stats>("stats"),
                           InstanceMethod<&EbpfSensor::Programs>("programs"),
                           InstanceMethod<&EbpfSensor::Close>("close"),
                       });
  }

  explicit EbpfSensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EbpfSensor>(info) {
    // A worker that is torn down while watching must stop its uv_poll before its loop closes.
    napi_add_env_cleanup_hook(info.Env(), &EbpfSensor::OnEnvCleanup, this);
  }

  // The hook must go with the object: once a sensor is garbage-collected, a hook still naming it
  // would run on freed memory at environment teardown (seen as a crash at process exit).
  ~EbpfSensor() override {
    napi_remove_env_cleanup_hook(Env(), &EbpfSensor::OnEnvCleanup, this);
    StopWatching();
  }

 private:
  template <typename F>
  Napi::Value Guard(const Napi::CallbackInfo& info, F&& body) {
    try {
      return body();
    } catch (const SensorError& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  }

  /// options[key] as a list of strings; absent means empty.
  static std::vector<std::string> StringList(Napi::Env env, Napi::Object options, const char* key) {
    std::vector<std::string> out;
    Napi::Value value = options.Get(key);
    if (value.IsUndefined()) return out;
    std::string message = std::string("options.") + key + " must be an array of strings";
    if (!value.IsArray()) throw Napi::TypeError::New(env, message);
    Napi::Array list = value.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Value item = list.Get(i);
      if (!item.IsString()) throw Napi::TypeError::New(env, message);
      out.push_back(item.As<Napi::String>().Utf8Value());
    }
    return out;
  }

  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
    Napi::Object options = info[0].As<Napi::Object>();
    Napi::Value size = options.Get("ringBufferBytes");
    if (!size.IsNumber()) throw Napi::TypeError::New(env, "options.ringBufferBytes must be a number");
    double bytes = size.As<Napi::Number>().DoubleValue();
    uint32_t page = static_cast<uint32_t>(sysconf(_SC_PAGESIZE));
    uint32_t whole = static_cast<uint32_t>(bytes);
    if (bytes != whole || whole < page || whole > kMaxRingBytes || (whole & (whole - 1)) != 0) {
      throw Napi::RangeError::New(env, "options.ringBufferBytes must be a power of two between " +
                                           std::to_string(page) + " and " + std::to_string(kMaxRingBytes));
    }
    std::vector<std::string> names;
    bool has_programs = false;
    Napi::Value programs = options.Get("programs");
    if (!programs.IsUndefined()) {
      if (!programs.IsArray()) throw Napi::TypeError::New(env, "options.programs must be an array of program names");
      Napi::Array list = programs.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); i++) {
        Napi::Value name = list.Get(i);
        if (!name.IsString()) throw Napi::TypeError::New(env, "options.programs must be an array of program names");
        names.push_back(name.As<Napi::String>().Utf8Value());
      }
      has_programs = true;
    }
    uint32_t self_tgid = static_cast<uint32_t>(getpid());
    Napi::Value self = options.Get("selfTgid");
    if (!self.IsUndefined()) {
      if (!self.IsNumber()) throw Napi::TypeError::New(env, "options.selfTgid must be a number");
      self_tgid = self.As<Napi::Number>().Uint32Value();
    }
    kestrel::CaptureOptions capture;
    Napi::Value env_option = options.Get("captureEnv");
    if (!env_option.IsUndefined()) {
      if (!env_option.IsBoolean()) throw Napi::TypeError::New(env, "options.captureEnv must be a boolean");
      capture.capture_env = env_option.As<Napi::Boolean>().Value();
    }
    capture.watch_reads = !options.Get("watchFiles").IsUndefined() || !options.Get("watchDirs").IsUndefined();
    capture.watch_files = StringList(env, options, "watchFiles");
    capture.watch_dirs = StringList(env, options, "watchDirs");
    return Guard(info, [&] {
      sensor_.Open(whole, has_programs ? &names : nullptr, self_tgid, capture);
      return env.Undefined();
    });
  }

  Napi::Value SetWatchLists(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object lists = Napi::Object::New(env);
    lists.Set("files", info.Length() > 0 ? info[0] : env.Undefined());
    lists.Set("dirs", info.Length() > 1 ? info[1] : env.Undefined());
    std::vector<std::string> files = StringList(env, lists, "files");
    std::vector<std::string> dirs = StringList(env, lists, "dirs");
    return Guard(info, [&] {
      sensor_.SetWatchLists(std::move(files), std::move(dirs));
      return env.Undefined();
    });
  }

  Napi::Value Load(const Napi::CallbackInfo& info) {
    return Guard(info, [&] {
      sensor_.Load();
      return info.Env().Undefined();
    });
  }

  Napi::Value Attach(const Napi::CallbackInfo& info) {
    return Guard(info, [&] {
      sensor_.Attach();
      return info.Env().Undefined();
    });
  }

  // drain(view: Uint8Array, offset, maxBytes): the view is over the caller's SharedArrayBuffer
  // (N-API on Node 20 cannot take a SharedArrayBuffer itself, but can take a typed array over
  // one). Hot path: no JS object is created here, the result is a small integer.
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber()) {
      throw Napi::TypeError::New(env, "drain(view: Uint8Array, offset: number, maxBytes: number)");
    }
    Napi::TypedArray view = info[0].As<Napi::TypedArray>();
    if (view.TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, "drain: view must be a Uint8Array");
    double offset = info[1].As<Napi::Number>().DoubleValue();
    double max_bytes = info[2].As<Napi::Number>().DoubleValue();
    size_t length = view.ByteLength();
    if (offset < 0 || max_bytes < 0 || offset != static_cast<size_t>(offset) ||
        max_bytes != static_cast<size_t>(max_bytes) || offset + max_bytes > length) {
      throw Napi::RangeError::New(env, "drain: offset and maxBytes must be non-negative integers within the buffer (" +
                                           std::to_string(length) + " bytes)");
    }
    if (static_cast<size_t>(offset) % 8 != 0) throw Napi::RangeError::New(env, "drain: offset must be a multiple of 8");
    // napi_get_typedarray_info, not view.ArrayBuffer().Data(): the latter rejects a shared buffer.
    void* data = nullptr;
    if (napi_get_typedarray_info(env, view, nullptr, nullptr, &data, nullptr, nullptr) != napi_ok || !data) {
      throw Napi::TypeError::New(env, "drain: cannot access the view's memory");
    }
    uint8_t* base = static_cast<uint8_t*>(data);
    size_t blocked = 0;
    size_t written = sensor_.ring().Drain(base + static_cast<size_t>(offset), static_cast<size_t>(max_bytes), &blocked);
    if (blocked) {
      throw Napi::RangeError::New(env, "drain: maxBytes " + std::to_string(static_cast<size_t>(max_bytes)) +
                                           " is smaller than the next event frame (" + std::to_string(blocked) + " bytes)");
    }
    return Napi::Number::New(env, static_cast<double>(written));
  }

  // wait(timeoutMs): blocks the calling thread until an event is ready. Meant for a dedicated
  // worker; the main thread should use onReadable().
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "wait(timeoutMs: number)");
    if (sensor_.ring().epoll_fd() < 0) throw Napi::Error::New(env, "wait() needs a loaded sensor");
    int rc = sensor_.ring().Wait(info[0].As<Napi::Number>().Int32Value());
    if (rc < 0) throw Napi::Error::New(env, std::string("wait: epoll_wait failed: ") + strerror(-rc));
    return Napi::Boolean::New(env, rc > 0);
  }

  Napi::Value EpollFd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), sensor_.ring().epoll_fd());
  }

  // onReadable(callback | null): libuv polls the ring's epoll fd (level-triggered) on this
  // thread's loop and calls back while events are waiting, so the JS side never busy-polls.
  Napi::Value OnReadable(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    StopWatching();
    if (info.Length() < 1 || info[0].IsNull() || info[0].IsUndefined()) return env.Undefined();
    if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "onReadable(callback: () => void | null)");
    int fd = sensor_.ring().epoll_fd();
    if (fd < 0) throw Napi::Error::New(env, "onReadable() needs a loaded sensor");
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "onReadable: no libuv loop");
    poll_ = new uv_poll_t;
    poll_->data = this;
    int rc = uv_poll_init(loop, poll_, fd);
    if (rc == 0) rc = uv_poll_start(poll_, UV_READABLE, &EbpfSensor::OnPoll);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
      throw Napi::Error::New(env, std::string("onReadable: uv_poll failed: ") + uv_strerror(rc));
    }
    callback_ = Napi::Persistent(info[0].As<Napi::Function>());
    context_ = std::make_unique<Napi::AsyncContext>(env, "kestrel:ebpf-readable");
    Ref();  // keep this object alive while libuv holds a pointer to it
    return env.Undefined();
  }

  static void OnEnvCleanup(void* self) { static_cast<EbpfSensor*>(self)->StopWatching(); }

  static void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<EbpfSensor*>(handle->data);
    if (status < 0 || self->callback_.IsEmpty()) return;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    try {
      self->callback_.MakeCallback(self->Value(), {}, *self->context_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());  // same as an exception thrown from a timer
    }
  }

  void StopWatching() {
    if (!poll_) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    callback_.Reset();
    context_.reset();
    Unref();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    kestrel::SensorStats stats = sensor_.Stats();
    Napi::Object out = Napi::Object::New(env);
    Napi::Array per_cpu = Napi::Array::New(env, stats.drops_per_cpu.size());
    double total = 0;
    for (size_t i = 0; i < stats.drops_per_cpu.size(); i++) {
      per_cpu.Set(i, Napi::Number::New(env, static_cast<double>(stats.drops_per_cpu[i])));
      total += static_cast<double>(stats.drops_per_cpu[i]);
    }
    out.Set("dropsPerCpu", per_cpu);
    out.Set("drops", Napi::Number::New(env, total));
    out.Set("events", Napi::Number::New(env, static_cast<double>(stats.events)));
    out.Set("bytes", Napi::Number::New(env, static_cast<double>(stats.bytes)));
    return out;
  }

  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& programs = sensor_.programs();
    Napi::Array out = Napi::Array::New(env, programs.size());
    for (size_t i = 0; i < programs.size(); i++) {
      Napi::Object p = Napi::Object::New(env);
      p.Set("name", programs[i].name);
      p.Set("section", programs[i].section);
      p.Set("selected", programs[i].selected);
      p.Set("attached", programs[i].link != nullptr);
      if (!programs[i].skipped.empty()) p.Set("skipped", programs[i].skipped);
      out.Set(i, p);
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    StopWatching();
    sensor_.Close();
    return info.Env().Undefined();
  }

  BpfSensor sensor_;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

int64_t ClockNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// CLOCK_REALTIME minus CLOCK_BOOTTIME, in ns, as a BigInt: add it to a kernel event time
// (bpf_ktime_get_boot_ns) to get wall-clock time. Node has no CLOCK_BOOTTIME, and /proc/uptime
// has only 10 ms resolution. Boot time is read between two realtime reads and the tightest of a
// few tries is kept, so the offset is good to about a microsecond.
Napi::Value BootClockOffsetNs(const Napi::CallbackInfo& info) {
  int64_t best_offset = 0;
  int64_t best_window = INT64_MAX;
  for (int i = 0; i < 8; i++) {
    int64_t before = ClockNs(CLOCK_REALTIME);
    int64_t boot = ClockNs(CLOCK_BOOTTIME);
    int64_t after = ClockNs(CLOCK_REALTIME);
    if (after - before < best_window) {
      best_window = after - before;
      best_offset = before + (after - before) / 2 - boot;
    }
  }
  return Napi::BigInt::New(info.Env(), best_offset);
}

// /proc/PID/stat fields 9 (flags) and 22 (starttime, clock ticks since boot), read after the
// last ')' so a comm with spaces or parentheses cannot shift them. False if unreadable.
bool ReadStat(int pid, unsigned long long* flags, unsigned long long* start_ticks) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* f = fopen(path, "re");
  if (!f) return false;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  char* p = strrchr(buf, ')');
  if (!p) return false;
  // After ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) … starttime(22).
  int field = 2;
  for (char* tok = strtok(p + 1, " "); tok; tok = strtok(nullptr, " ")) {
    field++;
    if (field == 9) *flags = strtoull(tok, nullptr, 10);
    if (field == 22) {
      *start_ticks = strtoull(tok, nullptr, 10);
      return true;
    }
  }
  return false;
}

// signalProcess(pid, startTicks, signal): signals exactly the process that is pid AND started at
// startTicks. A pidfd is taken first and the start time checked through /proc after it, so a pid
// reused before the open is refused ("reused"), and one reused after it cannot be hit: the pidfd
// still names the original process, which then has exited ("gone"). Kernel threads are refused.
// Returns "signalled", "gone", "reused", "kernel-thread" or "error: …".
Napi::Value SignalProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "signalProcess(pid, startTicks, signal) takes three numbers");
  }
  int pid = info[0].As<Napi::Number>().Int32Value();
  unsigned long long expected = static_cast<unsigned long long>(info[1].As<Napi::Number>().DoubleValue());
  int sig = info[2].As<Napi::Number>().Int32Value();
  if (pid <= 1) return Napi::String::New(env, "error: refusing pid " + std::to_string(pid));
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return Napi::String::New(env, errno == ESRCH ? "gone" : std::string("error: pidfd_open: ") + strerror(errno));
  unsigned long long flags = 0, start = 0;
  std::string result;
  if (!ReadStat(pid, &flags, &start)) {
    result = "gone";
  } else if (start != expected) {
    result = "reused";
  } else if (flags & 0x00200000 /* PF_KTHREAD */) {
    result = "kernel-thread";
  } else if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) != 0) {
    result = errno == ESRCH ? "gone" : std::string("error: pidfd_send_signal: ") + strerror(errno);
  } else {
    result = "signalled";
  }
  close(fd);
  return Napi::String::New(env, result);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("EbpfSensor", EbpfSensor::Define(env));
  exports.Set("signalProcess", Napi::Function::New<SignalProcess>(env, "signalProcess"));
  exports.Set("bootClockOffsetNs", Napi::Function::New<BootClockOffsetNs>(env, "bootClockOffsetNs"));
  exports.Set("crc32c", Napi::Function::New<Crc32c>(env, "crc32c"));
  return exports;
}

}  // namespace

NODE_API_MODULE(kestrel_ebpf, Init)
