{
  "targets": [
    {
      "target_name": "kestrel_ebpf",
      "sources": [
        "src/addon.cc",
        "src/sensor.cc",
        "src/ring_reader.cc",
        "src/preflight.cc",
        "src/libbpf_log.cc",
        "src/crc32c.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../../bpf/.output"
      ],
      "libraries": ["<!@(pkg-config --libs libbpf)"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
    }
  ]
}
