// zlib's init functions are macros that pass the library version and struct size;
// these wrappers make them callable from Swift.
#ifndef FREIGHT_CZLIB_SHIM_H
#define FREIGHT_CZLIB_SHIM_H

#include <zlib.h>

/// windowBits 15 + 16 selects the gzip wrapper (RFC 1952) instead of zlib's.
static inline int fl_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
/// windowBits -15: raw deflate (no header or trailer), for the blocks of a parallel gzip stream
/// whose wrapper is written separately.
static inline int fl_deflate_init_raw(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}
/// zlib.h renames crc32_combine to crc32_combine64 by macro when large-file support is on;
/// this names whichever one the header chose.
static inline unsigned long fl_crc32_combine(unsigned long crc1, unsigned long crc2, long long length2) {
    return crc32_combine(crc1, crc2, (z_off_t)length2);
}
/// windowBits 15 + 32 detects a gzip or zlib header automatically.
static inline int fl_inflate_init_auto(z_streamp strm) {
    return inflateInit2(strm, 15 + 32);
}

#endif
