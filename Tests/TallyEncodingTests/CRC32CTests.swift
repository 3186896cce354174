import Testing
import TallyEncoding

@Suite("CRC32C")
struct CRC32CTests {
    @Test("standard check value and RFC 3720 vectors")
    func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum(Array("a".utf8)) == 0xC1D0_4330)
    }

    @Test("incremental update equals one-shot; hardware and portable paths agree")
    func incrementalAndPaths() {
        var rng = SeededRNG(seed: 99)
        for len in [0, 1, 3, 7, 8, 9, 31, 32, 33, 100, 1000, 4099] {
            let data = (0..<len).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let whole = CRC32C.checksum(data)
            for cut in Set([0, len / 3, len / 2, len]) {
                let crc = data.withUnsafeBytes { raw in
                    CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<cut])),
                                  UnsafeRawBufferPointer(rebasing: raw[cut...]))
                }
                #expect(crc == whole, "len \(len) cut \(cut)")
            }
            // Unaligned start and the portable table must agree with the default path.
            data.withUnsafeBytes { raw in
                guard raw.count > 1 else { return }
                let tail = UnsafeRawBufferPointer(rebasing: raw[1...])
                #expect(CRC32C.checksum(tail) == CRC32C.updatePortable(0, tail))
            }
            #expect(data.withUnsafeBytes { CRC32C.updatePortable(0, $0) } == whole)
        }
    }
}
