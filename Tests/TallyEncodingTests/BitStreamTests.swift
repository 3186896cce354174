import Testing
@testable import TallyEncoding

@Suite("Bit streams and bit packing")
struct BitStreamTests {
    @Test("BitWriter/BitReader round-trip random field widths 0...64")
    func randomFields() throws {
        var rng = SeededRNG(seed: 42)
        var fields: [(UInt64, Int)] = []
        for _ in 0..<5000 {
            let n = Int.random(in: 0...64, using: &rng)
            fields.append((rng.next() & lowMask(n), n))
        }
        var bw = BitWriter()
        for (v, n) in fields { bw.write(v | (n < 64 ? (1 << UInt64(n)) : 0), bitCount: n) }  // junk above n is ignored
        let total = fields.reduce(0) { $0 + $1.1 }
        #expect(bw.bitCount == total)
        var w = ByteWriter()
        bw.finish(into: &w)
        #expect(w.count == (total + 7) / 8)
        w.bytes.withUnsafeBytes { raw in
            var br = BitReader(raw)
            for (v, n) in fields { #expect(br.read(bitCount: n) == v) }
            #expect(!br.isOverrun)
            _ = br.read(bitCount: 9)
            #expect(br.isOverrun)
        }
    }

    @Test("LSB-first layout")
    func layout() {
        var bw = BitWriter()
        bw.write(5, bitCount: 3)
        bw.writeBit(true)
        bw.write(0xABC, bitCount: 12)
        var w = ByteWriter()
        bw.finish(into: &w)
        #expect(w.bytes == [0b1100_1101, 0xAB])
    }

    @Test("pack/unpack every width, odd counts, never reading past the input", arguments: Array(0...64))
    func packUnpack(width: Int) {
        var rng = SeededRNG(seed: UInt64(width))
        for count in [1, 2, 7, 8, 9, 63, 64, 65, 1001] {
            let src = (0..<count).map { _ in rng.next() & lowMask(width) }
            let bytes = (count * width + 7) / 8
            var buf = [UInt8](repeating: 0, count: bytes + 8)
            let used = src.withUnsafeBufferPointer { s in
                buf.withUnsafeMutableBytes { packBits(s.baseAddress!, count: count, width: width, into: $0.baseAddress!) }
            }
            #expect(used == bytes)
            // Copy into an exactly sized allocation so any over-read would hit foreign memory (ASan-visible).
            let exact = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 1)
            defer { exact.deallocate() }
            buf.withUnsafeBytes { exact.copyMemory(from: $0.baseAddress!, byteCount: bytes) }
            var out = [UInt64](repeating: 0xFFFF, count: count)
            out.withUnsafeMutableBytes { unpackBits(exact, byteCount: bytes, count: count, width: width, into: $0.baseAddress!) }
            #expect(out == src, "width \(width) count \(count)")
        }
    }
}
