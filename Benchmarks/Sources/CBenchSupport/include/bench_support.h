#ifndef TALLY_BENCH_SUPPORT_H
#define TALLY_BENCH_SUPPORT_H
#include <stddef.h>

/// Bytes glibc's allocator has handed out and not taken back (mallinfo2's uordblks plus mmapped chunks).
size_t bench_heap_bytes_in_use(void);

#endif
