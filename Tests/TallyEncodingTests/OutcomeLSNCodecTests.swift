import Testing
import TallyEncoding

@Suite("OutcomeCodec and LSNCodec")
struct OutcomeLSNCodecTests {
    static func roundTripOutcomes(_ codes: [UInt8]) throws -> [UInt8] {
        var w = ByteWriter()
        OutcomeCodec.encode(codes, into: &w)
        return try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let out = try OutcomeCodec.decode(&r, count: codes.count)
            #expect(r.isAtEnd)
            return out
        }
    }

    static func roundTripLSNs(_ lsns: [UInt64]) throws -> ([UInt64], [UInt8]) {
        var w = ByteWriter()
        LSNCodec.encode(lsns, into: &w)
        let out = try w.bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let out = try LSNCodec.decode(&r, count: lsns.count)
            #expect(r.isAtEnd)
            return out
        }
        return (out, w.bytes)
    }

    @Test("outcome codes round-trip at every edge count", arguments: edgeCounts + [0])
    func outcomes(count: Int) throws {
        var rng = SeededRNG(seed: UInt64(count))
        let shapes: [[UInt8]] = [
            [UInt8](repeating: 0, count: count),
            (0..<count).map { $0 % 500 == 499 ? 2 : 0 },
            (0..<count).map { _ in UInt8.random(in: 0...3, using: &rng) },
            (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) },
            (0..<count).map { UInt8($0 % 2) },
        ]
        for s in shapes { #expect(try Self.roundTripOutcomes(s) == s) }
    }

    @Test("outcome forms: runs for steady codes, packing for busy ones")
    func outcomeForms() throws {
        var w = ByteWriter()
        OutcomeCodec.encode([UInt8](repeating: 1, count: 10_000), into: &w)
        #expect(w.bytes.first == ColumnTag.outcomeRunLength)
        #expect(w.count <= 5)
        var p = ByteWriter()
        OutcomeCodec.encode((0..<1000).map { UInt8($0 % 4) }, into: &p)
        #expect(p.bytes.first == ColumnTag.outcomePacked)
        #expect(p.count == 2 + 250)
    }

    @Test("LSNs round-trip at every edge count", arguments: edgeCounts + [0])
    func lsns(count: Int) throws {
        var rng = SeededRNG(seed: UInt64(count) + 1)
        let shapes: [[UInt64]] = [
            [UInt64](repeating: 77, count: count),
            (0..<count).map { 1_000 + UInt64($0 / 300) },
            (0..<count).map { 1_000 + UInt64($0) },
            (0..<count).map { 1_000_000 - UInt64($0 / 10) },
            (0..<count).map { _ in rng.next() },
            (0..<count).map { $0 % 2 == 0 ? .max : 0 },
        ]
        for s in shapes { #expect(try Self.roundTripLSNs(s).0 == s) }
    }

    @Test("LSN runs are a few bytes")
    func lsnCompact() throws {
        let lsns = (0..<100_000).map { 5_000_000 + UInt64($0 / 25_000) }
        let (back, bytes) = try Self.roundTripLSNs(lsns)
        #expect(back == lsns)
        #expect(bytes.first == ColumnTag.lsnRunLength)
        #expect(bytes.count <= 21, "tag, run count, 4 x (delta, length)")
        let (_, dense) = try Self.roundTripLSNs((0..<1000).map { UInt64($0) * 3 })
        #expect(dense.first == ColumnTag.lsnPacked)
        #expect(dense.count < 30)
    }
}
