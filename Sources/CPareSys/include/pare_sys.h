// Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not set.
#ifndef PARE_SYS_H
#define PARE_SYS_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pare_cleanup.h"

/// copy_file_range(2): copies `length` bytes from `in_fd` at `*in_offset` (advanced) to `out_fd`
/// at its file position, inside the kernel. Returns bytes copied or -1 with errno set.
ssize_t pare_copy_file_range(int in_fd, int64_t *in_offset, int out_fd, size_t length);

/// sync_file_range(2) with SYNC_FILE_RANGE_WRITE: starts writeback of a range without waiting,
/// so a final fsync has little left to wait for. Returns 0 or -1 with errno set.
int pare_start_writeback(int fd, int64_t offset, int64_t length);
#endif
