#pragma once
#include <napi.h>

Napi::Value Crc32c(const Napi::CallbackInfo& info);
