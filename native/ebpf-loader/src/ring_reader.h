// SPDX-License-Identifier: Apache-2.0
// Consumer side of one BPF ring buffer map, read straight from its mmap()ed pages.
// libbpf's ring_buffer__consume() cannot stop before a record without consuming it, and drain()
// must leave a record that does not fit the caller's buffer in the ring for the next call; so
// this reader implements the (stable, uapi-documented) ring layout itself.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kestrel {

/// Frame written for each event: this header, then the raw struct, padded to 8 bytes.
struct FrameHeader {
  uint32_t length;    // bytes of the raw struct that follows
  uint32_t reserved;  // 0; keeps the struct 8-byte aligned
};

class RingReader {
 public:
  RingReader() = default;
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  /// Maps the ring of map_fd (data_size = the map's max_entries) and creates the epoll fd.
  /// Returns 0 or -errno.
  int Open(int map_fd, size_t data_size);
  void Close();

  /// Copies finished records into dst as frames until the ring is empty or the next frame does
  /// not fit; never blocks. Returns bytes written. *blocked_size is set to the frame size of a
  /// record that did not fit into an empty dst (the caller's buffer is too small), else 0.
  size_t Drain(uint8_t* dst, size_t capacity, size_t* blocked_size);

  /// Blocks up to timeout_ms (-1 = forever) until a record is ready. Returns 1 ready, 0 timeout,
  /// -errno on error.
  int Wait(int timeout_ms);

  int epoll_fd() const { return epoll_fd_; }
  uint64_t events() const { return events_; }
  uint64_t bytes() const { return bytes_; }

 private:
  int epoll_fd_ = -1;
  size_t page_size_ = 0;
  size_t data_size_ = 0;
  uint64_t mask_ = 0;
  void* consumer_map_ = nullptr;  // one page, read-write: the consumer position
  void* producer_map_ = nullptr;  // producer position page + data mapped twice, read-only
  uint64_t* consumer_pos_ = nullptr;
  const uint64_t* producer_pos_ = nullptr;
  const uint8_t* data_ = nullptr;
  uint64_t events_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace kestrel
