// SPDX-License-Identifier: Apache-2.0
#include "ring_reader.h"

#include <linux/bpf.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kestrel {

namespace {
constexpr uint64_t Align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }
}  // namespace

RingReader::~RingReader() { Close(); }

int RingReader::Open(int map_fd, size_t data_size) {
  page_size_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  data_size_ = data_size;
  mask_ = data_size - 1;
  // Layout (kernel/bpf/ringbuf.c): page 0 = consumer_pos (writable by us), page 1 =
  // producer_pos, then the data pages mapped twice in a row so a record that wraps around the
  // end is still contiguous in our address space.
  consumer_map_ = mmap(nullptr, page_size_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
  if (consumer_map_ == MAP_FAILED) {
    consumer_map_ = nullptr;
    return -errno;
  }
  producer_map_ = mmap(nullptr, page_size_ + 2 * data_size_, PROT_READ, MAP_SHARED, map_fd,
                       static_cast<off_t>(page_size_));
  if (producer_map_ == MAP_FAILED) {
    producer_map_ = nullptr;
    int err = -errno;
    Close();
    return err;
  }
  consumer_pos_ = static_cast<uint64_t*>(consumer_map_);
  producer_pos_ = static_cast<const uint64_t*>(producer_map_);
  data_ = static_cast<const uint8_t*>(producer_map_) + page_size_;

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    int err = -errno;
    Close();
    return err;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, map_fd, &ev) < 0) {
    int err = -errno;
    Close();
    return err;
  }
  return 0;
}

void RingReader::Close() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (producer_map_) munmap(producer_map_, page_size_ + 2 * data_size_);
  if (consumer_map_) munmap(consumer_map_, page_size_);
  epoll_fd_ = -1;
  producer_map_ = consumer_map_ = nullptr;
  consumer_pos_ = nullptr;
  producer_pos_ = nullptr;
  data_ = nullptr;
}

size_t RingReader::Drain(uint8_t* dst, size_t capacity, size_t* blocked_size) {
  *blocked_size = 0;
  if (!data_) return 0;
  size_t written = 0;
  // Only this thread writes consumer_pos, so a plain read of our own last store is exact.
  uint64_t cons = *consumer_pos_;
  uint64_t prod = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
  while (cons < prod) {
    const uint8_t* rec = data_ + (cons & mask_);
    // Pairs with the kernel's release store of the length when it commits the record.
    uint32_t len = __atomic_load_n(reinterpret_cast<const uint32_t*>(rec), __ATOMIC_ACQUIRE);
    if (len & BPF_RINGBUF_BUSY_BIT) break;  // reserved, not submitted yet: keep order
    uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
      size_t frame = Align8(sizeof(FrameHeader) + size);
      if (written + frame > capacity) {
        if (written == 0) *blocked_size = frame;
        break;
      }
      FrameHeader hdr{size, 0};
      std::memcpy(dst + written, &hdr, sizeof hdr);
      std::memcpy(dst + written + sizeof hdr, rec + BPF_RINGBUF_HDR_SZ, size);
      std::memset(dst + written + sizeof hdr + size, 0, frame - sizeof hdr - size);
      written += frame;
      events_++;
      bytes_ += size;
    }
    cons += Align8(BPF_RINGBUF_HDR_SZ + size);
    if (cons == prod) prod = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
  }
  // Release: the kernel may reuse the space only after our copies above are done.
  __atomic_store_n(consumer_pos_, cons, __ATOMIC_RELEASE);
  return written;
}

int RingReader::Wait(int timeout_ms) {
  epoll_event ev{};
  int n = epoll_wait(epoll_fd_, &ev, 1, timeout_ms);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  return n;
}

}  // namespace kestrel
