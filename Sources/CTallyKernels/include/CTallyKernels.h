#ifndef CTALLY_KERNELS_H
#define CTALLY_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Continues a CRC32C (Castagnoli, reflected polynomial 0x82F63B78) over `len` bytes.
/// `crc` is a finished checksum of the preceding bytes (0 for none); the result is the finished checksum of the
/// concatenation. Uses the SSE4.2 `crc32` instruction when the CPU has it, else a slicing-by-8 table.
uint32_t tally_crc32c_update(uint32_t crc, const void *data, size_t len);

/// Same as `tally_crc32c_update`, always with the portable table implementation.
uint32_t tally_crc32c_update_portable(uint32_t crc, const void *data, size_t len);

/// Same as `tally_crc32c_update`, always with the SSE4.2 instruction. Only call when
/// `tally_crc32c_hardware_available()` returns 1.
uint32_t tally_crc32c_update_hardware(uint32_t crc, const void *data, size_t len);

/// 1 when the running CPU supports the SSE4.2 `crc32` instruction (x86-64 only), else 0.
int tally_crc32c_hardware_available(void);

#ifdef __cplusplus
}
#endif

#endif
