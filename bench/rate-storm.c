// SPDX-License-Identifier: Apache-2.0
// Event-rate generator for bench/sensor.bench.mjs: issues one event-producing syscall pattern in a
// tight loop for a fixed time, then prints how many operations it did. Compiled at bench time
// into a temporary directory (never committed as a binary).
//   rate-storm open   SECONDS DIR  — open(DIR/f, O_WRONLY|O_CREAT) + close: one file_open event
//   rate-storm rename SECONDS DIR  — rename DIR/a → DIR/b and back: one file_rename event each
//   rate-storm read   SECONDS DIR  — open(DIR/a, O_RDONLY) + close: no event (the name is not on
//                                     the read watch list), so it measures the in-kernel filter
//   rate-storm recv   SECONDS DIR  — send + recvfrom of 64 bytes on a local datagram socket pair:
//                                     no event (not UDP port 53), the cost of the DNS check
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4 || (strcmp(argv[1], "open") != 0 && strcmp(argv[1], "rename") != 0 && strcmp(argv[1], "read") != 0 && strcmp(argv[1], "recv") != 0)) {
    fprintf(stderr, "usage: rate-storm open|rename|read|recv SECONDS DIR\n");
    return 2;
  }
  const int renames = strcmp(argv[1], "rename") == 0;
  const int recvs = strcmp(argv[1], "recv") == 0;
  int pair[2] = {-1, -1};
  char msg[64] = {0};
  if (recvs && socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) {
    perror("socketpair");
    return 1;
  }
  const int open_flags = strcmp(argv[1], "read") == 0 ? O_RDONLY : O_WRONLY | O_CREAT;
  const double seconds = atof(argv[2]);
  char a[4096], b[4096];
  snprintf(a, sizeof a, "%s/a", argv[3]);
  snprintf(b, sizeof b, "%s/b", argv[3]);
  int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(a);
    return 1;
  }
  close(fd);

  const double end = now_seconds() + seconds;
  unsigned long ops = 0;
  for (;;) {
    // The clock is read once per 256 operations so that it costs nothing next to the syscalls.
    for (int i = 0; i < 256; i++) {
      if (recvs) {
        if (send(pair[0], msg, sizeof msg, 0) != sizeof msg || recvfrom(pair[1], msg, sizeof msg, 0, NULL, NULL) != sizeof msg) {
          perror("send/recvfrom");
          return 1;
        }
      } else if (renames) {
        if (rename((ops & 1) ? b : a, (ops & 1) ? a : b) != 0) {
          perror("rename");
          return 1;
        }
      } else {
        fd = open(a, open_flags, 0644);
        if (fd < 0) {
          perror(a);
          return 1;
        }
        close(fd);
      }
      ops++;
    }
    if (now_seconds() >= end) break;
  }
  printf("%lu\n", ops);
  return 0;
}
