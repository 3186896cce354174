import CTallyKernels

/// CRC32C (Castagnoli polynomial, reflected 0x82F63B78, initial value and final xor 0xFFFF_FFFF), the checksum
/// used by Tally's segments and WAL records.
///
/// Runs on the SSE4.2 `crc32` instruction when the CPU has it (checked once at run time) and on a portable
/// slicing-by-8 table otherwise; both give identical results. `checksum("123456789") == 0xE306_9283`.
public enum CRC32C {
    /// The checksum of `bytes`.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        update(0, bytes)
    }

    /// Continues a checksum: `update(checksum(a), b) == checksum(a + b)`. `update(0, x) == checksum(x)`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return tally_crc32c_update(crc, base, bytes.count)
    }

    /// The checksum of an array of bytes.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }

    /// Whether the hardware (SSE4.2) implementation is in use on this CPU.
    public static var isHardwareAccelerated: Bool { tally_crc32c_hardware_available() != 0 }

    /// The portable table implementation, exposed so tests can compare it with the hardware path.
    public static func updatePortable(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return tally_crc32c_update_portable(crc, base, bytes.count)
    }
}
