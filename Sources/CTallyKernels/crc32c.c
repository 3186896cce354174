// CRC32C (Castagnoli) with a runtime-selected SSE4.2 path and a portable slicing-by-8 fallback.
#include "CTallyKernels.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define TALLY_X86 1
#include <cpuid.h>
#include <nmmintrin.h>
#else
#define TALLY_X86 0
#endif

#define TALLY_CRC32C_POLY 0x82F63B78u

static uint32_t tally_crc_table[8][256];
static int tally_crc_hw = 0;
static pthread_once_t tally_crc_once = PTHREAD_ONCE_INIT;

static void tally_crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ TALLY_CRC32C_POLY : (c >> 1);
        }
        tally_crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = tally_crc_table[0][i];
        for (int t = 1; t < 8; t++) {
            c = (c >> 8) ^ tally_crc_table[0][c & 0xFFu];
            tally_crc_table[t][i] = c;
        }
    }
#if TALLY_X86
    unsigned int a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        tally_crc_hw = (c & bit_SSE4_2) ? 1 : 0;
    }
#endif
}

static inline void tally_crc_ensure_init(void) {
    pthread_once(&tally_crc_once, tally_crc_init);
}

int tally_crc32c_hardware_available(void) {
    tally_crc_ensure_init();
    return tally_crc_hw;
}

static uint32_t tally_crc_portable_raw(uint32_t c, const uint8_t *p, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        w ^= (uint64_t)c;
        c = tally_crc_table[7][w & 0xFF] ^ tally_crc_table[6][(w >> 8) & 0xFF] ^
            tally_crc_table[5][(w >> 16) & 0xFF] ^ tally_crc_table[4][(w >> 24) & 0xFF] ^
            tally_crc_table[3][(w >> 32) & 0xFF] ^ tally_crc_table[2][(w >> 40) & 0xFF] ^
            tally_crc_table[1][(w >> 48) & 0xFF] ^ tally_crc_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
#endif
    while (n > 0) {
        c = (c >> 8) ^ tally_crc_table[0][(c ^ *p) & 0xFF];
        p++;
        n--;
    }
    return c;
}

uint32_t tally_crc32c_update_portable(uint32_t crc, const void *data, size_t len) {
    tally_crc_ensure_init();
    if (len == 0) return crc;
    return ~tally_crc_portable_raw(~crc, (const uint8_t *)data, len);
}

#if TALLY_X86
__attribute__((target("sse4.2")))
static uint32_t tally_crc_hw_raw(uint32_t c, const uint8_t *p, size_t n) {
    while (n > 0 && ((uintptr_t)p & 7u) != 0) {
        c = _mm_crc32_u8(c, *p);
        p++;
        n--;
    }
#if defined(__x86_64__)
    uint64_t c64 = c;
    while (n >= 32) {
        uint64_t w0, w1, w2, w3;
        memcpy(&w0, p, 8);
        memcpy(&w1, p + 8, 8);
        memcpy(&w2, p + 16, 8);
        memcpy(&w3, p + 24, 8);
        c64 = _mm_crc32_u64(c64, w0);
        c64 = _mm_crc32_u64(c64, w1);
        c64 = _mm_crc32_u64(c64, w2);
        c64 = _mm_crc32_u64(c64, w3);
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = _mm_crc32_u64(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
#endif
    while (n > 0) {
        c = _mm_crc32_u8(c, *p);
        p++;
        n--;
    }
    return c;
}
#endif

uint32_t tally_crc32c_update_hardware(uint32_t crc, const void *data, size_t len) {
#if TALLY_X86
    if (len == 0) return crc;
    return ~tally_crc_hw_raw(~crc, (const uint8_t *)data, len);
#else
    return tally_crc32c_update_portable(crc, data, len);
#endif
}

uint32_t tally_crc32c_update(uint32_t crc, const void *data, size_t len) {
    tally_crc_ensure_init();
    if (len == 0) return crc;
#if TALLY_X86
    if (tally_crc_hw) return ~tally_crc_hw_raw(~crc, (const uint8_t *)data, len);
#endif
    return ~tally_crc_portable_raw(~crc, (const uint8_t *)data, len);
}
