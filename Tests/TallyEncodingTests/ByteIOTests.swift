import Testing
@testable import TallyEncoding

@Suite("ByteWriter / ByteReader / varints")
struct ByteIOTests {
    @Test("fixed-width fields are little-endian and round-trip")
    func fixedWidth() throws {
        var w = ByteWriter(capacity: 64)
        w.writeUInt8(0xAB)
        w.writeUInt16LE(0x1234)
        w.writeUInt32LE(0xDEAD_BEEF)
        w.writeUInt64LE(0x0102_0304_0506_0708)
        w.writeInt64LE(-2)
        w.writeFloat64LE(-0.0)
        w.writeFloat64LE(Double(bitPattern: 0x7FF0_0000_0000_0123))
        #expect(Array(w.bytes[0..<7]) == [0xAB, 0x34, 0x12, 0xEF, 0xBE, 0xAD, 0xDE])
        #expect(w.count == 1 + 2 + 4 + 8 * 4)
        try withReader(w.bytes) { r in
            let got1 = try r.readUInt8()
            #expect(got1 == 0xAB)
            let got2 = try r.readUInt16LE()
            #expect(got2 == 0x1234)
            let got3 = try r.readUInt32LE()
            #expect(got3 == 0xDEAD_BEEF)   // unaligned offset 3
            let got4 = try r.readUInt64LE()
            #expect(got4 == 0x0102_0304_0506_0708)
            let got5 = try r.readInt64LE()
            #expect(got5 == -2)
            let got6 = try r.readFloat64LE()
            #expect(got6.bitPattern == (-0.0).bitPattern)
            let got7 = try r.readFloat64LE()
            #expect(got7.bitPattern == 0x7FF0_0000_0000_0123)
            #expect(r.remaining == 0)
            #expect(r.isAtEnd)
        }
    }

    @Test("varuint edges encode to the expected lengths and round-trip")
    func varUIntEdges() throws {
        let cases: [(UInt64, Int)] = [
            (0, 1), (1, 1), (127, 1), (128, 2), (16383, 2), (16384, 3), (UInt64(UInt32.max), 5),
            (1 << 63 - 1, 9), (1 << 63, 10), (.max, 10),
        ]
        for (v, len) in cases {
            var w = ByteWriter()
            w.writeVarUInt(v)
            #expect(w.count == len, "varuint \(v)")
            #expect(varUIntSize(v) == len)
            try withReader(w.bytes) { r in
                let got8 = try r.readVarUInt()
                #expect(got8 == v)
                #expect(r.isAtEnd)
            }
        }
        var w = ByteWriter()
        w.writeVarUInt(300)
        #expect(w.bytes == [0xAC, 0x02])
    }

    @Test("zigzag maps small magnitudes to small codes, including the extremes")
    func zigzag() throws {
        #expect(ZigZag.encode(0) == 0)
        #expect(ZigZag.encode(-1) == 1)
        #expect(ZigZag.encode(1) == 2)
        #expect(ZigZag.encode(-2) == 3)
        #expect(ZigZag.encode(.max) == UInt64.max - 1)
        #expect(ZigZag.encode(.min) == UInt64.max)
        var rng = SeededRNG(seed: 7)
        var values: [Int64] = [0, 1, -1, 63, -64, 64, -65, .max, .min, .max - 1, .min + 1]
        for _ in 0..<1000 { values.append(Int64(bitPattern: rng.next()) >> Int64.random(in: 0...63, using: &rng)) }
        var w = ByteWriter()
        for v in values {
            #expect(ZigZag.decode(ZigZag.encode(v)) == v)
            w.writeVarInt(v)
        }
        try withReader(w.bytes) { r in
            for v in values {
                let got = try r.readVarInt()
                #expect(got == v)
            }
            #expect(r.isAtEnd)
        }
        var one = ByteWriter()
        one.writeVarInt(-3)
        #expect(one.bytes == [0x05])
    }

    @Test("malformed varints throw instead of wrapping")
    func varintErrors() throws {
        // 11 continuation bytes: too long.
        let long = [UInt8](repeating: 0x80, count: 10) + [0x01]
        try withReader(long, baseOffset: 100) { r in
            let e = encodingError { _ = try r.readVarUInt() }
            #expect(e?.kind == .corrupt)
            #expect(e?.offset == 100)
        }
        // 10th byte above 1 overflows 64 bits.
        let overflow = [UInt8](repeating: 0xFF, count: 9) + [0x02]
        try withReader(overflow) { r in
            #expect(encodingError { _ = try r.readVarUInt() }?.kind == .corrupt)
        }
        // The largest valid 10-byte varint still reads.
        try withReader([UInt8](repeating: 0xFF, count: 9) + [0x01]) { r in
            let got = try r.readVarUInt()
            #expect(got == .max)
        }
        // Ends inside the varint.
        let cut: [UInt8] = [0x01, 0x80, 0x80]
        try withReader(cut, baseOffset: 50) { r in
            let got9 = try r.readVarUInt()
            #expect(got9 == 1)
            let e = encodingError { _ = try r.readVarUInt() }
            #expect(e?.kind == .truncated)
            #expect(e?.offset == 51)
            #expect(e?.description.contains("offset 51") == true)
            #expect(r.offset == 1, "a failed read must not move the cursor")
        }
    }

    @Test("every read is bounds-checked and reports the absolute offset")
    func boundsErrors() throws {
        let bytes: [UInt8] = [1, 2, 3]
        try withReader(bytes, baseOffset: 1000) { r in
            let e = encodingError { _ = try r.readUInt32LE() }
            #expect(e?.kind == .truncated)
            #expect(e?.offset == 1000)
            #expect(r.offset == 0, "a failed read must not move the cursor")
            let got10 = try r.readUInt16LE()
            #expect(got10 == 0x0201)
            #expect(encodingError { _ = try r.readUInt16LE() }?.offset == 1002)
            #expect(encodingError { _ = try r.readUInt64LE() } != nil)
            #expect(encodingError { _ = try r.readBytes(count: 2) } != nil)
            #expect(encodingError { _ = try r.readBytes(count: -1) } != nil)
            #expect(encodingError { try r.skip(5) } != nil)
            let got11 = try r.readUInt8()
            #expect(got11 == 3)
            #expect(encodingError { _ = try r.readUInt8() }?.kind == .truncated)
            #expect(encodingError { _ = try r.readVarUInt() }?.kind == .truncated)
        }
        // Empty buffer (nil base address).
        try withReader([]) { r in
            #expect(r.remaining == 0)
            #expect(encodingError { _ = try r.readUInt8() } != nil)
            let got12 = try r.readBytes(count: 0)
            #expect(got12.count == 0)
        }
        // A cursor moved outside the buffer by hand still cannot read.
        try withReader(bytes) { r in
            r.offset = 10
            #expect(r.remaining == 0)
            #expect(encodingError { _ = try r.readUInt8() } != nil)
            r.offset = -4
            #expect(encodingError { _ = try r.readUInt8() } != nil)
            #expect(encodingError { _ = try r.readVarUInt() } != nil)
        }
    }

    @Test("strings, byte runs and patching")
    func stringsAndPatch() throws {
        var w = ByteWriter()
        let at = w.count
        w.writeUInt32LE(0)
        w.writeString("héllo ✓")
        w.writeString("")
        w.writeBytes([9, 8, 7] as [UInt8])
        [UInt8](arrayLiteral: 6, 5).withUnsafeBytes { w.writeBytes($0) }
        w.patchUInt32LE(at: at, 0xA1B2_C3D4)
        try withReader(w.bytes) { r in
            let got13 = try r.readUInt32LE()
            #expect(got13 == 0xA1B2_C3D4)
            let got14 = try r.readString()
            #expect(got14 == "héllo ✓")
            let got15 = try r.readString()
            #expect(got15 == "")
            #expect(Array(try r.readBytes(count: 5)) == [9, 8, 7, 6, 5])
            #expect(r.isAtEnd)
        }
        // Invalid UTF-8 and an over-long length are errors.
        try withReader([2, 0xC3, 0x28]) { r in
            #expect(encodingError { _ = try r.readString() }?.kind == .corrupt)
        }
        try withReader([5, 0x41]) { r in
            #expect(encodingError { _ = try r.readString() }?.kind == .truncated)
        }
    }
}
