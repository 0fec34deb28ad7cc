#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "pare_sys.h"

ssize_t pare_copy_file_range(int in_fd, int64_t *in_offset, int out_fd, size_t length) {
    loff_t off = (loff_t)*in_offset;
    ssize_t n = copy_file_range(in_fd, &off, out_fd, NULL, length, 0);
    *in_offset = (int64_t)off;
    return n;
}

int pare_start_writeback(int fd, int64_t offset, int64_t length) {
    return sync_file_range(fd, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
}
