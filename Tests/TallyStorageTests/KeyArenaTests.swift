import Testing
@testable import TallyStorage
import TallyTestSupport
import TallyAnalysis
import TallyEncoding

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

    /// A lookup packs the key it is given as the stored keys are packed. Keys of up to 2,000 labels, with label
    /// counts and string numbers of one, two and three varint bytes, pack to the bytes of the stored key and are
    /// found, by the table and by the scan before it is built; keys differing in their last label are not.
    @Test func keysOfManyLabelsPackAsStoredAndAreFound() {
        var index = SeriesIndex()
        var arena = KeyArena()
        var id: SeriesID = 1
        // 20,000 strings first, so that the later ones number past 2^14 (three varint bytes).
        for i in 0..<10_000 {
            let key = SeriesKey(metric: "filler", labels: [Label("n\(i)", "v\(i)")])
            index.add(SeriesRecord(id: id, key: key, kind: .measurement, attributes: Attributes(), createdLSN: 1))
            arena.append(id, key)
            id += 1
        }
        var wide: [(SeriesID, SeriesKey)] = []
        for count in [0, 1, 2, 23, 24, 25, 26, 127, 128, 129, 300, 2_000] {
            let labels = (0..<count).map { Label("n\(9_999 - $0 * 3)", "v\($0 * 5)") }
            let key = SeriesKey(metric: "wide_\(count)", labels: labels)
            index.add(SeriesRecord(id: id, key: key, kind: .measurement, attributes: Attributes(), createdLSN: 1))
            arena.append(id, key)
            wide.append((id, key))
            id += 1
        }
        let numbers = Dictionary(uniqueKeysWithValues: arena.internedStrings.enumerated().map { ($1, UInt64($0)) })
        #expect(numbers.count > 1 << 14)
        for (id, key) in wide {
            var expected = ByteWriter()
            expected.writeVarUInt(numbers[key.metric]!)
            expected.writeVarUInt(UInt64(key.labels.count))
            for label in key.labels {
                expected.writeVarUInt(numbers[label.name]!)
                expected.writeVarUInt(numbers[label.value]!)
            }
            #expect(arena.withPacked(key) { Array($0) } == expected.bytes, "\(key.labels.count) labels")
            #expect(arena.withPacked(id) { Array($0) } == expected.bytes, "\(key.labels.count) labels")
            #expect(index.id(of: key) == id, "scan, \(key.labels.count) labels")
        }
        index.prepareKeyLookups()
        for (id, key) in wide {
            #expect(index.id(of: key) == id, "table, \(key.labels.count) labels")
            guard let last = key.labels.last else { continue }
            let others = [
                SeriesKey(metric: key.metric, labels: key.labels.dropLast() + [Label(last.name, "v9999")]),
                SeriesKey(metric: key.metric, labels: Array(key.labels.dropLast())),
                SeriesKey(metric: key.metric, labels: key.labels.dropLast() + [Label(last.name, "never seen")]),
            ]
            for other in others where other != key {
                #expect(index.id(of: other) == nil, "\(other.labels.count) labels")
            }
        }
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

    /// The ASCII byte table (with no dictionary until a string is not ASCII) must never give two equal strings two
    /// numbers: "K" and the Kelvin sign are equal strings, whichever arrives first.
    @Test func equalStringsGetOneNumberWhateverTheirBytes() {
        for order in [["K", "\u{212A}"], ["\u{212A}", "K"]] {
            var numbers = StringNumbers()
            let first = numbers.intern(order[0])
            #expect(numbers.number(of: order[1]) == first)   // before the second is interned: a lookup alone
            #expect(numbers.intern(order[1]) == first)
            #expect(numbers.number(of: order[1]) == first)
            #expect(numbers.strings.count == 1)
        }
    }

    /// A lookup of a string that is not ASCII, in a table of ASCII strings alone, finds the ASCII string it equals
    /// (whichever of the three equivalent scalars it holds, wherever) and nothing otherwise, without making the
    /// dictionary.
    @Test func lookupsOfEquivalentStringsInAnAsciiTable() {
        var numbers = StringNumbers()
        let ascii = ["K", "a;b", "`x`", "OK;`", "k", "Kelvin"]
        let given = ascii.map { numbers.intern($0) }
        let equivalents = ["\u{212A}", "a\u{037E}b", "\u{1FEF}x\u{1FEF}", "O\u{212A}\u{037E}`", "k", "\u{212A}elvin"]
        for (text, number) in zip(equivalents, given) {
            #expect(text == ascii[Int(number)])
            #expect(numbers.number(of: text) == number, "\(text.unicodeScalars.map(\.value))")
        }
        for other in ["\u{212A}\u{E9}", "\u{E9}", "a;\u{037E}c", "\u{212B}", "K\u{301}"] {
            #expect(numbers.number(of: other) == nil, "\(other.unicodeScalars.map(\.value))")
        }
        #expect(!numbers.hasDictionary)
    }

    /// The table of scalars outside ASCII that equal an ASCII character is complete: every scalar is checked.
    @Test func everyScalarEqualToAnAsciiCharacterIsInTheTable() {
        let ascii = Set((0..<128).map { String(Character(Unicode.Scalar(UInt8($0)))) })
        var found: [UInt32: UInt8] = [:]
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            if ascii.contains(text), let byte = ascii.first(where: { $0 == text })?.utf8.first { found[value] = byte }
        }
        #expect(found == StringNumbers.asciiScalarEquivalents)
    }

    /// Strings of every length from 0 to 40 bytes (the hash reads eight at a time, then a tail), thousands of
    /// them (the table grows), each numbered once and found again.
    @Test func everyStringIsNumberedOnceAndFoundAgain() {
        var numbers = StringNumbers()
        var rng = SeededGenerator(seed: 21)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz_0123456789.")
        var strings: [String] = []
        var seen = Set<String>()
        while strings.count < 5_000 {
            let text = String((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            if seen.insert(text).inserted { strings.append(text) }
        }
        let given = strings.map { numbers.intern($0) }
        #expect(given == (0..<5_000).map { UInt32($0) })
        #expect(strings.map { numbers.intern($0) } == given)
        #expect(strings.map { numbers.number(of: $0) } == given.map { Optional($0) })
        #expect(numbers.number(of: "not among them: \u{E9}") == nil)
        #expect(numbers.strings == strings)
        #expect(!numbers.hasDictionary)
    }

    /// Many short ASCII strings alike ("0" … "199999", as a label numbering its series) stay in the byte table: no
    /// probe runs so long that the dictionary has to be made (with a bound of 32 slots it was, in some runs).
    @Test func manyAsciiStringsNeedNoDictionary() {
        var numbers = StringNumbers()
        for i in 0..<200_000 { _ = numbers.intern(String(i)) }
        #expect(numbers.strings.count == 200_000)
        #expect(!numbers.hasDictionary)
        #expect(numbers.number(of: "123456") == 123_456)
    }

    /// A text written in two Unicode forms is kept in the form seen first: a regex selects the same series whether
    /// it is answered from the label's values or by matching keys, while the store is open and after a reopen.
    @Test func regexSelectionsOfEquivalentFormsAgreeBeforeAndAfterAReopen() throws {
        let dir = TemporaryDirectory()
        let decomposed = "caf\u{65}\u{301}", precomposed = "caf\u{E9}"
        func regex(_ name: String, _ pattern: String, metric: String? = nil) throws -> SeriesSelector {
            SeriesSelector(metric: metric, matchers: [try LabelMatcher(name: name, op: .matchesRegex, value: pattern)])
        }
        func selections(_ store: Store) throws -> [[String]] {
            try [regex("dataset", decomposed), regex("dataset", precomposed),
                 regex("dataset", decomposed, metric: "m"), regex("dataset", precomposed, metric: "m"),
                 SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .equal, value: precomposed)])]
                .map { store.series(matching: $0).map(\.key.metric) }
        }
        let expected = [["m"], [], ["m"], [], ["m"]]
        do {
            let store = try Store.open(at: dir.path)
            var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "forms", wallTime: 0))
            batch.append(series: batch.addSeries(SeriesKey(metric: "o", labels: [Label("owner", decomposed)])), time: 1, value: 1)
            batch.append(series: batch.addSeries(SeriesKey(metric: "m", labels: [Label("dataset", precomposed)])), time: 1, value: 1)
            _ = try store.write(batch)
            #expect(try selections(store) == expected)
            try store.close()
        }
        let reopened = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        #expect(try selections(reopened) == expected)
    }

    /// A reopened store of more series than the open builds on two cores (10,000): every selector picks what
    /// matching each key picks, including a label value that appears under two label names.
    @Test func selectorsOnAReopenedStorePickWhatTheKeysMatch() throws {
        let dir = TemporaryDirectory()
        var keys: [SeriesKey] = []
        do {
            let store = try Store.open(at: dir.path)
            var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "postings", wallTime: 0))
            for i in 0..<12_000 {
                var labels = [Label("dataset", "d\(i % 50)"), Label("column", "c\(i / 50)")]
                if i % 5 == 0 { labels.append(Label("owner", "d\(i % 3)")) }   // "d1" is a dataset and an owner
                let key = SeriesKey(metric: "m\(i % 4)", labels: labels)
                keys.append(key)
                batch.append(series: batch.addSeries(key), time: 1_000, value: Double(i))
            }
            try store.importBulk(batch)
            try store.close()
        }
        let store = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let all = store.series()
        #expect(all.count == 12_000)
        #expect(Set(all.map(\.key)) == Set(keys))
        let selectors = [
            SeriesSelector(metric: "m2"),
            SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .equal, value: "d1")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .equal, value: "d1")]),
            SeriesSelector(metric: "m2", matchers: [try LabelMatcher(name: "owner", op: .equal, value: "d1"),
                                                    try LabelMatcher(name: "dataset", op: .equal, value: "d10")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .equal, value: "")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "column", op: .matchesRegex, value: "c[12]")]),
            SeriesSelector(metric: "m0", matchers: [try LabelMatcher(name: "dataset", op: .notEqual, value: "d0")]),
            // Regexes answered from the label's values (fewer values than candidates) and by matching keys.
            SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .matchesRegex, value: "d1.*")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .matchesRegex, value: "d[12]")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .matchesRegex, value: "d1|")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .notMatchesRegex, value: "d1")]),
            SeriesSelector(metric: "m1", matchers: [try LabelMatcher(name: "dataset", op: .matchesRegex, value: "d4[0-9]"),
                                                    try LabelMatcher(name: "column", op: .matchesRegex, value: "c1.*")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .equal, value: "d1"),
                                      try LabelMatcher(name: "column", op: .matchesRegex, value: "c1.*")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "column", op: .matchesRegex, value: "c2[0-9]"),
                                      try LabelMatcher(name: "owner", op: .matchesRegex, value: "d.")]),
            // Matchers that keep series without the label take the matching values' series away.
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .notEqual, value: "d1")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .notMatchesRegex, value: "d[01]")]),
            SeriesSelector(metric: "m3", matchers: [try LabelMatcher(name: "dataset", op: .notMatchesRegex, value: "d1.*")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "owner", op: .notEqual, value: "")]),
            SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .equal, value: "d7"),
                                      try LabelMatcher(name: "owner", op: .notEqual, value: "d1")]),
        ]
        for selector in selectors {
            let expected = Set(keys.filter { selector.matches($0) })
            let got = store.series(matching: selector).map(\.key)
            #expect(got.count == expected.count && Set(got) == expected, "\(selector)")
            #expect(!expected.isEmpty, "\(selector) selects nothing: a weak case")
        }
    }
}
