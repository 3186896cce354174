import Testing
@testable import TallyStorage
import TallyTestSupport
import TallyAnalysis

/// The index keeps series keys packed (``KeyArena``): lookups, unpacking and ordering must answer as the keys do.
@Suite("Packed series keys")
struct KeyArenaTests {
    /// Keys of 0 to 3 labels over more than 128 distinct strings, so numbers take one and two varint bytes.
    static func keys(_ count: Int, seed: UInt64) -> [SeriesKey] {
        var rng = SeededGenerator(seed: seed)
        var seen = Set<SeriesKey>()
        var out: [SeriesKey] = []
        while out.count < count {
            let labels = (0..<Int.random(in: 0...3, using: &rng)).map { n in
                Label(["dataset", "column", "check", "zone"][n], "v\(Int.random(in: 0..<400, using: &rng))")
            }
            let key = SeriesKey(metric: "m\(Int.random(in: 0..<40, using: &rng))", labels: labels)
            if seen.insert(key).inserted { out.append(key) }
        }
        return out
    }

    @Test func unpackedKeysEqualTheKeysStored() {
        var arena = KeyArena()
        let keys = KeyArenaTests.keys(2_000, seed: 11)
        for (k, key) in keys.enumerated() { arena.append(SeriesID(k + 1), key) }
        #expect(keys.enumerated().allSatisfy { arena.key(SeriesID($0.offset + 1)) == $0.element })
        #expect(keys.enumerated().allSatisfy { arena.metric(SeriesID($0.offset + 1)) == $0.element.metric })
        #expect(!arena.contains(0) && arena.contains(1) && !arena.contains(2_001))
    }

    @Test func lookupsFindEveryKeyAndNoOther() {
        var index = SeriesIndex()
        let keys = KeyArenaTests.keys(3_000, seed: 12)
        for (k, key) in keys.enumerated() {
            index.add(SeriesRecord(id: SeriesID(k + 1), key: key, kind: .measurement, attributes: Attributes(), createdLSN: 1))
        }
        index.prepareKeyLookups()
        #expect(keys.enumerated().allSatisfy { index.id(of: $0.element) == SeriesID($0.offset + 1) })
        // Known strings in a combination never stored, and a string never seen.
        let stored = Set(keys)
        let others = KeyArenaTests.keys(6_000, seed: 13).filter { !stored.contains($0) }
        #expect(!others.isEmpty && others.allSatisfy { index.id(of: $0) == nil })
        #expect(index.id(of: SeriesKey(metric: "never", labels: [])) == nil)
        #expect(index.id(of: SeriesKey(metric: "m1", labels: [Label("dataset", "never")])) == nil)
    }

    /// Swift compares strings by canonical equivalence: "é" written as one scalar or as "e" and a combining accent
    /// is the same label value, so the same series.
    @Test func canonicallyEquivalentStringsAreTheSameSeries() {
        var index = SeriesIndex()
        let composed = SeriesKey(metric: "rows", labels: [Label("dataset", "caf\u{E9}")])
        let decomposed = SeriesKey(metric: "rows", labels: [Label("dataset", "cafe\u{301}")])
        #expect(composed == decomposed)
        index.add(SeriesRecord(id: 1, key: composed, kind: .measurement, attributes: Attributes(), createdLSN: 1))
        index.prepareKeyLookups()
        #expect(index.id(of: decomposed) == 1)
    }

    /// The ranked order (used for very many series) sorts as comparing the keys does.
    @Test func rankedOrderIsKeyOrder() {
        var index = SeriesIndex()
        let keys = KeyArenaTests.keys(5_000, seed: 14)
        for (k, key) in keys.enumerated() {
            index.add(SeriesRecord(id: SeriesID(k + 1), key: key, kind: .measurement, attributes: Attributes(), createdLSN: 1))
        }
        let expected = keys.indices.sorted { keys[$0] < keys[$1] }.map { SeriesID($0 + 1) }
        #expect(index.everySeriesInKeyOrder() == expected)
    }
}
