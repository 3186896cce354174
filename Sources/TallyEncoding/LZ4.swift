import CLZ4

/// Thin wrapper around liblz4's block format (`LZ4_compress_default` / `LZ4_decompress_safe`).
///
/// LZ4 blocks do not record their decompressed size: store it next to the block (e.g. in the segment header) and
/// pass it to ``decompress(_:originalCount:into:)``. The column codecs in this module already remove most
/// redundancy, so LZ4 is meant for label/string data and WAL pages rather than encoded columns.
public enum LZ4 {
    /// Largest input LZ4 accepts (`LZ4_MAX_INPUT_SIZE`, about 2 GB).
    public static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// The worst-case compressed size of `count` input bytes (`LZ4_compressBound`).
    public static func maxCompressedCount(_ count: Int) -> Int {
        guard count >= 0, count <= maxInputSize else { return 0 }
        return Int(LZ4_compressBound(Int32(count)))
    }

    /// Compresses `src` and appends the compressed block to `into`.
    ///
    /// - Returns: the number of bytes appended (at least 1: an empty input compresses to a single token byte).
    /// - Throws: `.tooLarge` if `src` exceeds ``maxInputSize``; `.corrupt` if liblz4 reports a failure.
    @discardableResult
    public static func compress(_ src: UnsafeRawBufferPointer, into dst: inout [UInt8]) throws(EncodingError) -> Int {
        guard src.count <= maxInputSize else {
            throw EncodingError(.tooLarge, offset: 0, "LZ4 input of \(src.count) bytes exceeds \(maxInputSize)")
        }
        let bound = Int(LZ4_compressBound(Int32(src.count)))
        let start = dst.count
        dst.append(contentsOf: repeatElement(0, count: bound))
        let written: Int32 = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1) { tmp in
            tmp[0] = 0
            let s = src.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(tmp.baseAddress!)
            return dst.withUnsafeMutableBytes { out in
                let d = (out.baseAddress! + start).assumingMemoryBound(to: CChar.self)
                return LZ4_compress_default(s, d, Int32(src.count), Int32(bound))
            }
        }
        guard written > 0 else {
            dst.removeLast(bound)
            throw EncodingError(.corrupt, offset: 0, "LZ4_compress_default failed for \(src.count) bytes")
        }
        dst.removeLast(bound - Int(written))
        return Int(written)
    }

    /// Decompresses the block `src` into the first `originalCount` bytes of `into`.
    ///
    /// - Throws: `.tooLarge` if `into` is smaller than `originalCount` or `originalCount` exceeds ``maxInputSize``;
    ///   `.corrupt` (offset 0, relative to the block) if the block is malformed or does not decompress to exactly
    ///   `originalCount` bytes. Never writes outside the first `originalCount` bytes of `into`.
    public static func decompress(_ src: UnsafeRawBufferPointer, originalCount: Int,
                                  into dst: UnsafeMutableRawBufferPointer) throws(EncodingError) {
        guard originalCount >= 0, originalCount <= maxInputSize, originalCount <= dst.count else {
            throw EncodingError(.tooLarge, offset: 0,
                                "LZ4 original size \(originalCount) does not fit (destination \(dst.count) bytes)")
        }
        guard src.count <= Int(Int32.max) else {
            throw EncodingError(.tooLarge, offset: 0, "LZ4 block of \(src.count) bytes is too large")
        }
        guard let s = src.baseAddress, src.count > 0 else {
            throw EncodingError(.truncated, offset: 0, "empty LZ4 block")
        }
        var scratch: CChar = 0
        let result: Int32 = withUnsafeMutablePointer(to: &scratch) { fallback in
            let d = dst.baseAddress?.assumingMemoryBound(to: CChar.self) ?? fallback
            return LZ4_decompress_safe(s.assumingMemoryBound(to: CChar.self), d, Int32(src.count), Int32(originalCount))
        }
        guard result == Int32(originalCount) else {
            throw EncodingError(.corrupt, offset: 0,
                                result < 0 ? "malformed LZ4 block (code \(result))"
                                           : "LZ4 block decompressed to \(result) bytes, expected \(originalCount)")
        }
    }
}
