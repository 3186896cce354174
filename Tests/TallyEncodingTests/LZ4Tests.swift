import Testing
import TallyEncoding

@Suite("LZ4")
struct LZ4Tests {
    @Test("round-trips and appends", arguments: [0, 1, 15, 4096, 1 << 20])
    func roundTrip(size: Int) throws {
        let input = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 31) >> 3) }
        var out: [UInt8] = [0xEE]    // compress appends after existing bytes
        let written = try input.withUnsafeBytes { try LZ4.compress($0, into: &out) }
        #expect(written == out.count - 1)
        #expect(written >= 1)
        if size >= 4096 { #expect(written < size / 2) }
        var back = [UInt8](repeating: 0, count: size)
        try out.withUnsafeBytes { raw in
            try back.withUnsafeMutableBytes { dst in
                try LZ4.decompress(UnsafeRawBufferPointer(rebasing: raw[1...]), originalCount: size, into: dst)
            }
        }
        #expect(back == input)
    }

    @Test("corrupt blocks and wrong sizes throw")
    func corrupt() throws {
        var dst = [UInt8](repeating: 0, count: 64)
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF, 0x00, 0x12]
        garbage.withUnsafeBytes { raw in
            dst.withUnsafeMutableBytes { d in
                #expect(throws: EncodingError.self) { try LZ4.decompress(raw, originalCount: 10, into: d) }
                #expect(throws: EncodingError.self) { try LZ4.decompress(raw, originalCount: 100, into: d) }
                #expect(throws: EncodingError.self) {
                    try LZ4.decompress(UnsafeRawBufferPointer(start: nil, count: 0), originalCount: 0, into: d)
                }
            }
        }
        // A valid block with the wrong original size.
        let input = [UInt8](repeating: 7, count: 40)
        var block: [UInt8] = []
        try input.withUnsafeBytes { _ = try LZ4.compress($0, into: &block) }
        block.withUnsafeBytes { raw in
            dst.withUnsafeMutableBytes { d in
                #expect(throws: EncodingError.self) { try LZ4.decompress(raw, originalCount: 39, into: d) }
                #expect(throws: EncodingError.self) { try LZ4.decompress(raw, originalCount: 41, into: d) }
                #expect(throws: Never.self) { try LZ4.decompress(raw, originalCount: 40, into: d) }
            }
        }
        // Random bytes never crash.
        var rng = SeededRNG(seed: 5)
        for _ in 0..<500 {
            let junk = (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            junk.withUnsafeBytes { raw in
                dst.withUnsafeMutableBytes { d in _ = try? LZ4.decompress(raw, originalCount: 64, into: d) }
            }
        }
    }
}
