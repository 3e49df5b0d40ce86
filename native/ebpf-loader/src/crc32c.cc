// CRC-32C with the SSE4.2 crc32 instruction, for capture integrity checks: every chunk of a
// replayed capture is checked, and the table-driven Wasm loop (src/shared/capture/crc32c.ts) spent
// ~6% of a replay there. The CPU is asked at run time; without SSE4.2 the function says so
// (returns undefined) and the caller keeps its portable loop.
#include "crc32c.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define KESTREL_HAVE_SSE42_BUILD 1
#endif

namespace {

#ifdef KESTREL_HAVE_SSE42_BUILD

__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = static_cast<uint32_t>(~crc);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);  // unaligned load, one instruction on x86
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#else
// Not x86: no crc32 instruction here; callers keep the portable loop.
uint32_t Crc32cHardware(uint32_t crc, const uint8_t*, size_t) { return crc; }
bool HasSse42() { return false; }
#endif

}  // namespace

// crc32c(bytes: Uint8Array, start: number, end: number, crc: number): number | undefined
Napi::Value Crc32c(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!HasSse42()) return env.Undefined();
  if (info.Length() < 4 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "crc32c(bytes, start, end, crc)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  const double start = info[1].As<Napi::Number>().DoubleValue();
  const double end = info[2].As<Napi::Number>().DoubleValue();
  const uint32_t crc = info[3].As<Napi::Number>().Uint32Value();
  if (!(start >= 0 && end >= start && end <= static_cast<double>(bytes.ElementLength()))) {
    Napi::RangeError::New(env, "crc32c: range outside the array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const uint8_t* data = bytes.Data() + static_cast<size_t>(start);
  return Napi::Number::New(env, Crc32cHardware(crc, data, static_cast<size_t>(end - start)));
}
