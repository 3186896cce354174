import Testing
@testable import TallyEncoding

@Suite("ValueCodec")
struct ValueCodecTests {
    static let specials: [Double] = [
        0.0, -0.0, .infinity, -.infinity, .nan, -Double.nan, Double(bitPattern: 0x7FF0_0000_0000_0001),
        Double(bitPattern: 0xFFF8_0000_DEAD_BEEF), .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
        .leastNormalMagnitude, Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, 1e300, -1e-300, 9_007_199_254_740_993, 9.3e18, -9.3e18, 0.1, 1.0 / 3.0,
        Double(bitPattern: 0x7FF8_0000_0000_0000),
    ]

    static func shapes(_ n: Int, seed: UInt64) -> [(String, [Double])] {
        var rng = SeededRNG(seed: seed)
        var counter = 0.0
        var walk = 100.0
        var counterValues: [Double] = []
        var walkValues: [Double] = []
        var randomBits: [Double] = []
        var uniform: [Double] = []
        for _ in 0..<n {
            counter += Double(Int.random(in: 0...50, using: &rng))
            counterValues.append(counter)
            walk += Double.random(in: -1...1, using: &rng)
            walkValues.append(walk)
            randomBits.append(Double(bitPattern: rng.next()))
            uniform.append(Double.random(in: 0..<1, using: &rng))
        }
        var out: [(String, [Double])] = []
        out.append(("integer counter", counterValues))
        out.append(("random walk", walkValues))
        out.append(("random bits", randomBits))
        out.append(("uniform [0,1)", uniform))
        out.append(("constant", [Double](repeating: 0.25, count: n)))
        out.append(("constant -0.0", [Double](repeating: -0.0, count: n)))
        out.append(("constant NaN payload", [Double](repeating: Double(bitPattern: 0x7FF4_0000_0000_0042), count: n)))
        let mostly: [Double] = (0..<n).map { (i: Int) -> Double in i % 97 == 96 ? 3.5 : 0.95 }
        out.append(("mostly constant", mostly))
        let runs: [Double] = (0..<n).map { (i: Int) -> Double in Double(i / 10) }
        out.append(("integer runs", runs))
        var negatives: [Double] = []
        for _ in 0..<n { negatives.append(Double(Int.random(in: -1_000_000...1000, using: &rng))) }
        out.append(("negative integers", negatives))
        let edge: [Double] = (0..<n).map { (i: Int) -> Double in i % 2 == 0 ? 9_007_199_254_740_992 : -9_007_199_254_740_992 }
        out.append(("2^53 edge", edge))
        let hugeTiny: [Double] = (0..<n).map { (i: Int) -> Double in
            i % 2 == 0 ? 1e308 * Double(i % 7 + 1) / 8 : 5e-324 * Double(i % 5)
        }
        out.append(("huge and tiny", hugeTiny))
        var subnormals: [Double] = []
        for _ in 0..<n { subnormals.append(Double(bitPattern: rng.next() & 0x000F_FFFF_FFFF_FFFF)) }
        out.append(("subnormals", subnormals))
        let cycled: [Double] = (0..<n).map { (i: Int) -> Double in specials[i % specials.count] }
        out.append(("specials cycled", cycled))
        let mixed: [Double] = (0..<n).map { (i: Int) -> Double in i % 50 == 7 ? specials[i % specials.count] : Double(i) }
        out.append(("integers with specials", mixed))
        for places in 1...6 {
            let scale = [1.0, 10, 100, 1000, 10_000, 100_000, 1_000_000][places]
            var d: [Double] = []
            for _ in 0..<n { d.append(Double(Int.random(in: -5_000_000...5_000_000, using: &rng)) / scale) }
            out.append(("\(places) decimal places", d))
        }
        return out
    }

    /// Replaces some values with nulls in one of several patterns.
    static func withNulls(_ v: [Double], pattern: Int) -> [Double] {
        var v = v
        for i in v.indices {
            let null: Bool
            switch pattern {
            case 0: null = i % 3 == 1                     // dense: bitmap form
            case 1: null = i >= v.count / 2 && i < v.count / 2 + 5   // one short run: runs form
            case 2: null = i == 0                         // leading null
            default: null = i == v.count - 1              // trailing null
            }
            if null { v[i] = NullValue.value }
        }
        return v
    }

    @Test("bit-exact round trip for every shape at every edge count", arguments: edgeCounts)
    func roundTrip(count: Int) throws {
        for (name, values) in Self.shapes(count, seed: UInt64(count) &* 31) {
            let (bytes, enc) = encodeValues(values)
            let back = try decodeValues(bytes, count: count)
            #expect(bitsEqual(back, values), "\(name) [\(enc)] count \(count): \(firstMismatch(back, values))")
            for pattern in 0..<4 {
                let nulled = Self.withNulls(values, pattern: pattern)
                let (nb, ne) = encodeValues(nulled)
                let nback = try decodeValues(nb, count: count)
                #expect(bitsEqual(nback, nulled), "\(name) nulls \(pattern) [\(ne)] count \(count): \(firstMismatch(nback, nulled))")
            }
        }
    }

    @Test("every special value alone and in pairs")
    func specialPairs() throws {
        for a in Self.specials {
            for b in Self.specials + [NullValue.value] {
                let v = [a, b, a, a, b]
                let (bytes, enc) = encodeValues(v)
                let back = try decodeValues(bytes, count: v.count)
                #expect(bitsEqual(back, v), "\(a), \(b) [\(enc)]: \(firstMismatch(back, v))")
            }
        }
    }

    @Test("-0.0 survives inside integer and decimal columns (as an exception)")
    func negativeZero() throws {
        var v = (0..<100).map { Double($0) }
        v[10] = -0.0
        var (bytes, enc) = encodeValues(v)
        #expect(enc == .integerDelta)
        #expect(try decodeValues(bytes, count: 100)[10].bitPattern == (-0.0).bitPattern)
        v = (0..<100).map { Double($0) / 100 }
        v[0] = -0.0
        (bytes, enc) = encodeValues(v)
        #expect(enc == .decimal)
        #expect(bitsEqual(try decodeValues(bytes, count: 100), v))
    }

    @Test("nulls: all-null, one non-null, validity forms, NullValue vs ordinary NaN")
    func nulls() throws {
        for n in edgeCounts {
            let all = [Double](repeating: NullValue.value, count: n)
            let (bytes, enc) = encodeValues(all)
            #expect(enc == .allNull)
            #expect(bytes == [ColumnTag.valueAllNull])
            #expect(try decodeValues(bytes, count: n).allSatisfy(NullValue.isNull))
            var one = all
            one[n / 2] = 7
            let (ob, oe) = encodeValues(one)
            #expect(oe == .constant)
            #expect(bitsEqual(try decodeValues(ob, count: n), one))
        }
        #expect(NullValue.isNull(NullValue.value))
        #expect(!NullValue.isNull(.nan))
        #expect(NullValue.value.isNaN)
        let mixed: [Double] = [.nan, NullValue.value, 1, .nan]
        let (mb, _) = encodeValues(mixed)
        let back = try decodeValues(mb, count: 4)
        #expect(!NullValue.isNull(back[0]) && NullValue.isNull(back[1]) && !NullValue.isNull(back[3]))
        #expect(bitsEqual(back, mixed))
        // Both validity forms are exercised: a dense pattern uses the bitmap, a short run uses runs.
        let dense = Self.withNulls((0..<1000).map(Double.init), pattern: 0)
        let sparse = Self.withNulls((0..<1000).map(Double.init), pattern: 1)
        let (db, _) = encodeValues(dense)
        let (sb, _) = encodeValues(sparse)
        #expect(db[0] & ColumnTag.valueHasNullsFlag != 0 && db[1] == 0, "bitmap form")
        #expect(sb[0] & ColumnTag.valueHasNullsFlag != 0 && sb[1] == 1, "runs form")
        #expect(sb.count < 40, "a few nulls in a counter column stay small, got \(sb.count)")
    }

    @Test("codec choice follows the data")
    func choice() throws {
        var rng = SeededRNG(seed: 11)
        let n = 1000
        let twoDecimals = (0..<n).map { _ in Double(Int.random(in: 0...10_000, using: &rng)) / 100 }
        #expect(encodeValues(twoDecimals).1 == .decimal)
        var c = 0.0
        let counter = (0..<n).map { _ in c += Double(Int.random(in: 0...50, using: &rng)); return c }
        #expect(encodeValues(counter).1 == .integerDelta)
        #expect(encodeValues([Double](repeating: 3.25, count: n)).1 == .constant)
        #expect(encodeValues([]).1 == .empty)
        // Random full-precision doubles use a full-precision encoding, and never more than XOR would take.
        let random = (0..<n).map { _ in Double.random(in: -1e6...1e6, using: &rng) }
        let (rb, re) = encodeValues(random)
        #expect(re == .xor || re == .floatBits)
        let xorBytes = random.withUnsafeBufferPointer { ValueCodec.xorStreamBits($0) } / 8
        #expect(rb.count <= xorBytes + 8)
        // XOR wins when full-precision values repeat in an irregular pattern.
        var repeats: [Double] = []
        var current = Double.random(in: 0..<1000, using: &rng)
        for _ in 0..<n {
            if Int.random(in: 0..<4, using: &rng) == 0 { current = Double.random(in: 0..<1000, using: &rng) }
            repeats.append(current)
        }
        let (xb, xe) = encodeValues(repeats)
        #expect(xe == .xor, "got \(xe)")
        #expect(bitsEqual(try decodeValues(xb, count: n), repeats))
        // A random walk at full precision: float-bit deltas beat XOR.
        var walk = 500.0
        let gauge = (0..<n).map { _ in walk += Double.random(in: -1...1, using: &rng); return walk }
        #expect(encodeValues(gauge).1 == .floatBits)
    }

    @Test("decimal detection picks the smallest sufficient exponent")
    func exponents() throws {
        var rng = SeededRNG(seed: 12)
        for places in 1...6 {
            let scale = [1.0, 10, 100, 1000, 10_000, 100_000, 1_000_000][places]
            let v = (0..<500).map { _ in Double(Int.random(in: 0...9_999_999, using: &rng)) / scale }
            let (bytes, enc) = encodeValues(v)
            #expect(enc == .decimal)
            #expect(bytes[1] == UInt8(places), "\(places) places")
            #expect(bitsEqual(try decodeValues(bytes, count: v.count), v))
        }
        #expect(ValueCodec.minimalExponent(0.1) == 1)
        #expect(ValueCodec.minimalExponent(0.29) == 2)
        #expect(ValueCodec.minimalExponent(123.0) == 0)
        #expect(ValueCodec.minimalExponent(1.0 / 3.0) == nil)
        #expect(ValueCodec.minimalExponent(-0.0) == nil)
        #expect(ValueCodec.minimalExponent(.nan) == nil)
        #expect(ValueCodec.minimalExponent(.infinity) == nil)
    }

    @Test("compactness on the reference shapes")
    func compactness() {
        var rng = SeededRNG(seed: 13)
        let n = 1000
        var c = 0.0
        let counter = (0..<n).map { _ in c += Double(Int.random(in: 0...50, using: &rng)); return c }
        #expect(encodeValues(counter).0.count < n * 8 / 10, "counter ≈ 6 bits/point")
        let ratio = (0..<n).map { _ in Double(Int.random(in: 0..<10_000, using: &rng)) / 10_000 }
        #expect(encodeValues(ratio).0.count < n * 19 / 10, "4-decimal ratio ≈ 14 bits/point")
        let mostly = (0..<n).map { i in i % 200 == 199 ? 0.5 : 0.99 }
        #expect(encodeValues(mostly).0.count < 40)
    }

    @Test("peekEncoding reports the tag without consuming it")
    func peek() throws {
        let (bytes, enc) = encodeValues(Self.withNulls((0..<100).map { Double($0) / 10 }, pattern: 0))
        try bytes.withUnsafeBytes { raw in
            let r = ByteReader(raw)
            let p = try ValueCodec.peekEncoding(r)
            #expect(p.encoding == enc)
            #expect(p.hasNulls)
            #expect(r.offset == 0)
        }
    }
}

@Suite("ValueCodec randomized mixtures")
struct ValueCodecMixtureTests {
    /// Random blocks drawn from a random mixture of generators, so exceptions, validity forms, retries of the
    /// decimal exponent and every encoding meet each other.
    @Test("random mixtures round-trip bit-exactly")
    func mixtures() throws {
        var rng = SeededRNG(seed: 0xABCDEF)
        var seen = Set<ValueEncoding>()
        for block in 0..<300 {
            let n = [1, 2, 3, 17, 64, 65, 500, 2000][block % 8]
            let weights = (0..<7).map { _ in Int.random(in: 0...3, using: &rng) }
            let places = Int.random(in: 0...8, using: &rng)
            var last = Double(Int.random(in: -1000...1000, using: &rng))
            var v: [Double] = []
            for _ in 0..<n {
                var pick = Int.random(in: 0..<max(1, weights.reduce(0, +)), using: &rng)
                var kind = 0
                for (k, w) in weights.enumerated() { if pick < w { kind = k; break }; pick -= w }
                let x: Double
                switch kind {
                case 0: x = Double(Int.random(in: -100_000...100_000, using: &rng))
                case 1: x = Double(Int.random(in: -9_999_999...9_999_999, using: &rng)) / pow10(places)
                case 2: x = ValueCodecTests.specials.randomElement(using: &rng)!
                case 3: x = NullValue.value
                case 4: x = last
                case 5: x = Double(bitPattern: rng.next())
                default: x = last + Double.random(in: -1...1, using: &rng)
                }
                last = NullValue.isNull(x) ? last : x
                v.append(x)
            }
            let (bytes, enc) = encodeValues(v)
            seen.insert(enc)
            let back = try decodeValues(bytes, count: n)
            #expect(bitsEqual(back, v), "block \(block) [\(enc)] n=\(n): \(firstMismatch(back, v))")
        }
        #expect(seen.count >= 6, "mixtures should exercise most encodings, saw \(seen)")
    }

    func pow10(_ e: Int) -> Double {
        var p = 1.0
        for _ in 0..<e { p *= 10 }
        return p
    }
}
