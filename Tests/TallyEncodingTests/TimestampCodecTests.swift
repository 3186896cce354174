import Testing
@testable import TallyEncoding

@Suite("TimestampCodec")
struct TimestampCodecTests {
    static func jittered(_ n: Int, seed: UInt64) -> [Int64] {
        var rng = SeededRNG(seed: seed)
        var t: [Int64] = []
        var slot: Int64 = 0
        while t.count < n {
            slot += Int.random(in: 0..<100, using: &rng) == 0 ? 2 : 1    // 1% gaps
            t.append(1_700_000_000_000 + slot * 60_000 + Int64.random(in: -500...500, using: &rng))
        }
        return t
    }

    static func shapes(_ n: Int, seed: UInt64) -> [(String, [Int64])] {
        var rng = SeededRNG(seed: seed)
        var sortedRandom = (0..<n).map { _ in Int64.random(in: -1_000_000...1_000_000, using: &rng) }
        sortedRandom.sort()
        var equalRuns: [Int64] = []
        var t: Int64 = 1_000
        while equalRuns.count < n {
            let k = Int.random(in: 1...5, using: &rng)
            for _ in 0..<k where equalRuns.count < n { equalRuns.append(t) }
            t += Int64.random(in: 0...3, using: &rng) * 1000
        }
        let extremes: [Int64] = (0..<n).map { i in
            switch i % 6 {
            case 0: .min
            case 1: .max
            case 2: 0
            case 3: -1
            case 4: .min + 1
            default: Int64(bitPattern: rng.next())
            }
        }
        return [
            ("regular hourly", (0..<n).map { 1_672_531_200_000 + Int64($0) * 3_600_000 }),
            ("jittered 60 s with gaps", jittered(n, seed: seed)),
            ("second-rounded", jittered(n, seed: seed &+ 1).map { $0 / 1000 * 1000 }),
            ("all equal", [Int64](repeating: 42, count: n)),
            ("equal runs", equalRuns),
            ("sorted random", sortedRandom),
            ("unsorted random", (0..<n).map { _ in Int64(bitPattern: rng.next()) }),
            ("negative descending", (0..<n).map { -Int64($0) * 7 - 5 }),
            ("extremes", extremes),
            ("max plateau then min", (0..<n).map { $0 < n / 2 ? .max : .min }),
        ]
    }

    @Test("round-trips every shape at every edge count", arguments: edgeCounts)
    func roundTrip(count: Int) throws {
        for (name, times) in Self.shapes(count, seed: UInt64(count)) {
            let bytes = encodeTimes(times)
            #expect(bytes.first == ColumnTag.timestampPacked)
            let back = try decodeTimes(bytes, count: count)
            #expect(back == times, "\(name), count \(count)")
        }
    }

    @Test("empty column")
    func empty() throws {
        let bytes = encodeTimes([])
        #expect(bytes == [ColumnTag.timestampEmpty])
        #expect(try decodeTimes(bytes, count: 0) == [])
        #expect(throws: EncodingError.self) { try decodeTimes(bytes, count: 1) }
        #expect(throws: EncodingError.self) { try decodeTimes(encodeTimes([1]), count: 0) }
    }

    @Test("compactness on the reference shapes")
    func compactness() {
        let n = 1000
        let hourly = (0..<n).map { 1_672_531_200_000 + Int64($0) * 3_600_000 }
        #expect(encodeTimes(hourly).count < 24, "a regular grid is a few header bytes")
        let jitter = Self.jittered(n, seed: 3)
        let jbytes = encodeTimes(jitter).count
        #expect(Double(jbytes) / Double(n) < 1.6, "±500 ms jitter: ~11 bits/point plus gap exceptions, got \(jbytes)")
        let rounded = jitter.map { $0 / 1000 * 1000 }
        #expect(encodeTimes(rounded).count < jbytes / 2, "GCD scaling makes second-rounded ms cheap")
    }

    @Test("decoding into a larger reusable buffer writes only count elements")
    func largerBuffer() throws {
        let times: [Int64] = [5, 6, 7, 9]
        let bytes = encodeTimes(times)
        var out = [Int64](repeating: -1, count: 10)
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            try out.withUnsafeMutableBufferPointer { try TimestampCodec.decode(&r, count: 4, into: $0) }
        }
        #expect(Array(out[0..<4]) == times)
        #expect(out[4...].allSatisfy { $0 == -1 })
    }

    @Test("columns concatenate: each decoder consumes exactly its bytes")
    func concatenation() throws {
        var w = ByteWriter()
        let a = Self.jittered(500, seed: 1)
        let b: [Int64] = [1, 1, 1]
        TimestampCodec.encode(a, into: &w)
        TimestampCodec.encode(b, into: &w)
        w.writeUInt32LE(0xFEED_FACE)
        try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let got1 = try TimestampCodec.decode(&r, count: 500)
            #expect(got1 == a)
            let got2 = try TimestampCodec.decode(&r, count: 3)
            #expect(got2 == b)
            let got3 = try r.readUInt32LE()
            #expect(got3 == 0xFEED_FACE)
        }
    }

    @Test("integer layouts: the chooser picks the layout the data suits")
    func layoutChoice() throws {
        func layout(_ s: [Int64], grid: Bool = false) -> IntLayout {
            s.withUnsafeBufferPointer { IntColumn.plan($0, tryGrid: grid).layout }
        }
        // Random walk with large steps: first differences are the small ones.
        var rng = SeededRNG(seed: 8)
        var x: Int64 = 0
        let walk = (0..<1000).map { _ in x += Int64.random(in: -1000...1000, using: &rng); return x * 3 + 1 }
        #expect(layout(walk) == .delta)
        #expect(layout((0..<1000).map { _ in Int64.random(in: 0...1, using: &rng) }) == .frameOfReference)
        #expect(layout((0..<1000).map { Int64($0 * $0) }) == .deltaOfDelta)
        #expect(layout((0..<1000).map { [Int64(5), 700_000_003, -9_000_000_001][($0 / 37 + $0 / 91) % 3] }) == .runLength)
        #expect(layout(Self.jittered(1000, seed: 4), grid: true) == .grid)
        #expect(layout(Self.jittered(1000, seed: 4), grid: false) == .delta)
    }

    @Test("every integer layout round-trips when forced, with and without GCD scaling",
          arguments: [IntLayout.frameOfReference, .delta, .deltaOfDelta, .runLength, .grid])
    func forcedLayouts(layout: IntLayout) throws {
        for (name, values) in Self.shapes(1000, seed: 77) + Self.shapes(3, seed: 78) + Self.shapes(65, seed: 79) {
            if layout == .grid && values.count < 16 { continue }
            for useGCD in [true, false] {
                var w = ByteWriter()
                let ok: Bool = values.withUnsafeBufferPointer { b in
                    let plan = IntColumn.plan(b, forcing: layout, useGCD: useGCD)
                    if layout == .grid && plan.grid == nil { return false }
                    IntColumn.write(b, plan: plan, into: &w)
                    return true
                }
                if !ok { continue }   // no positive grid step for this shape
                #expect(w.bytes.first.map { $0 & 0x7F } == layout.rawValue)
                var out = [Int64](repeating: 0, count: values.count)
                try withReader(w.bytes) { r in
                    try out.withUnsafeMutableBytes { try IntColumn.decode(&r, count: values.count, into: $0.baseAddress!) }
                    #expect(r.isAtEnd)
                }
                #expect(out == values, "\(layout) \(name) n=\(values.count) gcd=\(useGCD)")
            }
        }
    }

    @Test("IntegerCodec round-trips")
    func integerCodec() throws {
        for (name, v) in Self.shapes(1000, seed: 5) + [("empty", [])] {
            var w = ByteWriter()
            v.withUnsafeBufferPointer { IntegerCodec.encode($0, into: &w) }
            var out = [Int64](repeating: 0, count: v.count)
            try withReader(w.bytes) { r in
                try out.withUnsafeMutableBufferPointer { try IntegerCodec.decode(&r, count: v.count, into: $0) }
            }
            #expect(out == v, "\(name)")
        }
    }

    @Test("GCD helpers")
    func gcd() {
        #expect(IntColumn.binaryGCD(12, 18) == 6)
        #expect(IntColumn.binaryGCD(0, 5) == 5)
        #expect(IntColumn.binaryGCD(1 << 63, 1 << 62) == 1 << 62)
        for x: UInt64 in [1, 3, 5, 1001, 0xFFFF_FFFF_FFFF_FFFF] { #expect(x &* IntColumn.inverseOdd(x) == 1) }
        let s: [Int64] = [7, 1007, 3007, -993, 7]
        #expect(s.withUnsafeBufferPointer { IntColumn.commonDivisor($0) } == 1000)
        let e: [Int64] = [.min, .max]
        #expect(e.withUnsafeBufferPointer { IntColumn.commonDivisor($0) } == 1)
        let z: [Int64] = [.min, 0]
        #expect(z.withUnsafeBufferPointer { IntColumn.commonDivisor($0) } == 1 << 63)
    }
}
