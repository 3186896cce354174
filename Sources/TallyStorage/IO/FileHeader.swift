import TallyEncoding

/// The 12-byte header every Tally file starts with: magic (4) · version (1) · reserved (3) · CRC32C of the first 8
/// bytes (4). Segment, WAL and document files differ only in their magic number.
enum FileHeader {
    static let size = 12

    static func bytes(magic: [UInt8], version: UInt8) -> [UInt8] {
        var w = ByteWriter(capacity: size)
        w.writeBytes(magic)
        w.writeUInt8(version)
        w.writeBytes([0, 0, 0])
        w.writeUInt32LE(CRC32C.checksum(w.bytes))
        return w.bytes
    }
}
