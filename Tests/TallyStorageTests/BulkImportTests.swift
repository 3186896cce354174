import Testing
@testable import TallyStorage
import TallyEncoding
import TallyTestSupport
import TallyAnalysis

/// The fast paths of bulk imports and large listings must give exactly what the general paths give.
@Suite("bulk import paths")
struct BulkImportTests {
    /// Series `s` has `40 + 7 s` points an hour apart from the middle of a month, so it crosses month boundaries;
    /// every 5th series is a check series; some values are null, one a NaN with a payload.
    func points(series: Int) -> [(key: SeriesKey, kind: SeriesKind, times: [Int64], values: [Double?], outcomes: [Outcome])] {
        let start: Int64 = 1_704_067_200_000 + 20 * 86_400_000   // 2024-01-21
        var rng = SeededGenerator(seed: 3)
        return (0..<series).map { s in
            let n = 40 + 7 * s
            let times = (0..<n).map { start + Int64($0) * 3_600_000 * Int64(1 + s % 5) }
            let values: [Double?] = (0..<n).map { i -> Double? in
                if i % 11 == 3 { return nil }
                if s == 2 && i == 5 { return Double(bitPattern: 0x7FF8_0000_0000_1234) }
                return Double(Int.random(in: 0..<1_000_000, using: &rng)) / 100
            }
            let outcomes = (0..<n).map { _ in [Outcome.pass, .warn, .fail][Int.random(in: 0..<3, using: &rng)] }
            return (SeriesKey(metric: "m\(s % 3)", labels: [Label("s", "\(s)")]), s % 5 == 0 ? .check : .measurement,
                    times, values, outcomes)
        }
    }

    func contents(_ store: Store) throws -> [SeriesKey: PointColumns] {
        var out: [SeriesKey: PointColumns] = [:]
        for info in store.series() {
            var columns = try store.read(info.id)
            columns.lsns = []
            out[info.key] = columns
        }
        return out
    }

    @Test func sortedRunsAndShuffledPointsStoreTheSame() throws {
        let data = points(series: 60)
        // Sorted by series, each series one run (measurement series through the bulk column append).
        var sorted = WriteBatch(origin: BatchOrigin(kind: "test", source: "sorted", wallTime: 0))
        for d in data {
            let s = sorted.addSeries(d.key, kind: d.kind)
            if d.kind == .measurement {
                sorted.append(series: s, times: d.times[...], columnValues: d.values.map(columnValue)[...])
            } else {
                for i in d.times.indices { sorted.append(series: s, time: d.times[i], value: d.values[i], outcome: d.outcomes[i]) }
            }
        }
        // The same points interleaved across series and out of time order.
        var rng = SeededGenerator(seed: 9)
        var all: [(Int, Int)] = data.indices.flatMap { s in data[s].times.indices.map { (s, $0) } }
        all.shuffle(using: &rng)
        var shuffled = WriteBatch(origin: BatchOrigin(kind: "test", source: "shuffled", wallTime: 0))
        let indexes = data.map { shuffled.addSeries($0.key, kind: $0.kind) }
        for (s, i) in all {
            let d = data[s]
            shuffled.append(series: indexes[s], time: d.times[i], value: d.values[i],
                            outcome: d.kind == .check ? d.outcomes[i] : nil)
        }
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        let storeA = try Store.open(at: a.path), storeB = try Store.open(at: b.path)
        try storeA.importBulk(sorted)
        try storeB.importBulk(shuffled)
        let got = try contents(storeA)
        #expect(got == (try contents(storeB)))
        #expect(got.count == data.count)
        for d in data {
            let columns = try #require(got[d.key])
            #expect(columns.times == d.times)
            #expect(columns.values.map(optionalValue).map { $0?.bitPattern } ==
                    d.values.map { $0.map { $0.isNaN ? Double.nan.bitPattern : $0.bitPattern } })
            #expect(columns.outcomes == (d.kind == .check ? d.outcomes.map(\.rawValue) : []))
        }
        // Several months: several segment files, each verified.
        #expect(storeA.stats().segments > 1)
        try storeA.close()
        #expect(Store.verify(at: a.path).isClean)
        // The same after a reopen (block lists rebuilt from the footers).
        #expect(try contents(try Store.open(at: a.path)) == got)
    }

    /// A bulk import honours a content identity as a write does: the same content again changes nothing.
    @Test func aBulkImportOfContentAlreadyStoredIsADuplicate() throws {
        func hashed(_ hash: String, value: Double) -> WriteBatch {
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "bulk", wallTime: 0,
                                                   details: [BatchOrigin.contentHashKey: hash]))
            let s = b.addSeries(SeriesKey(metric: "x"))
            b.append(series: s, time: 1_000, value: value)
            return b
        }
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let first = try store.importBulk(hashed("h1", value: 1))
        let again = try store.importBulk(hashed("h1", value: 2))
        #expect(!first.isDuplicate && again.isDuplicate && again.lsn == first.lsn && again.pointCount == 0)
        // A write and a bulk import see each other's identities.
        let written = try store.write(hashed("h2", value: 3))
        #expect(try store.importBulk(hashed("h2", value: 4)).lsn == written.lsn)
        #expect(try store.write(hashed("h1", value: 5)).isDuplicate)
        #expect(try store.imports().count == 2)
        #expect(try store.read(try #require(store.series(key: SeriesKey(metric: "x"))).id).values == [3])
    }

    /// A point appended to a series index the batch does not have is bad input (refused by validation, with the
    /// point's number), not a crash in the store; so is a negative index.
    @Test func aPointOfAnUnknownSeriesIndexIsRefused() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        for index in [1, 7, -1] {
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "bad", wallTime: 0))
            let s = b.addSeries(SeriesKey(metric: "x"))
            b.append(series: s, time: 1, value: 1)
            b.append(series: index, time: 2, value: 2)
            #expect(b.firstRepeatedPoint() == nil)   // no crash on the index either
            let error = #expect(throws: InputError.self) { try b.validate() }
            #expect(error?.message.hasPrefix("point 1 is appended to series ") == true, "\(String(describing: error))")
            #expect(error?.message.contains(index < 0 ? "an index out of range" : "index \(index)") == true)
            #expect(error?.message.contains("the batch has 1 series (indexes 0–0)") == true)
            for bulk in [false, true] {
                #expect(throws: StoreError.self) { bulk ? try store.importBulk(b) : try store.write(b) }
            }
        }
        var none = WriteBatch(origin: BatchOrigin(kind: "test", source: "bad", wallTime: 0))
        none.append(series: 0, time: 1, value: 1)
        let error = #expect(throws: InputError.self) { try none.validate() }
        #expect(error?.message.contains("the batch has no series") == true, "\(String(describing: error))")
        let imports = try store.imports()
        #expect(store.series().isEmpty && imports.isEmpty)
    }

    @Test func bulkAppendStoresNullsAndCanonicalNaN() throws {
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "nan", wallTime: 0))
        let s = batch.addSeries(SeriesKey(metric: "x"))
        let payloadNaN = Double(bitPattern: 0x7FF8_0000_0000_0042)
        batch.append(series: s, times: [1, 2, 3][...], columnValues: [NullValue.value, payloadNaN, 1.5][...])
        #expect(batch.seriesIndexes == [0, 0, 0])
        #expect(NullValue.isNull(batch.values[0]))
        #expect(batch.values[1].bitPattern == Double.nan.bitPattern)
        #expect(batch.values[2] == 1.5)
        #expect(batch.outcomes == [Outcome.noneCode, Outcome.noneCode, Outcome.noneCode])
        try batch.validate()
    }

    /// A batch that takes whole columns (grouped by series) stores what the run-by-run append stores; a key given
    /// twice is one series; the caller's columns are left as they were, even when a NaN had to be made canonical.
    @Test func batchFromColumnsStoresWhatAppendsStore() throws {
        let data = points(series: 40).filter { $0.kind == .measurement }
        var keys: [SeriesKey] = [], counts: [Int] = [], times: [Int64] = [], values: [Double] = []
        for d in data {
            keys.append(d.key)
            counts.append(d.times.count)
            times += d.times
            values += d.values.map(columnValue)
        }
        // The first series once more, later in the batch, with times after its others: the same series.
        let extraTimes = data[0].times.map { $0 + 1_000 * 86_400_000 }
        keys.append(data[0].key)
        counts.append(extraTimes.count)
        times += extraTimes
        values += [Double](repeating: 7, count: extraTimes.count)
        values[3] = Double(bitPattern: 0x7FF8_0000_0000_1234)   // a NaN with a payload: stored as the canonical NaN
        var appended = WriteBatch(origin: BatchOrigin(kind: "test", source: "runs", wallTime: 0))
        var at = 0
        for (k, key) in keys.enumerated() {
            appended.append(series: appended.addSeries(key), times: times[at..<(at + counts[k])],
                            columnValues: values[at..<(at + counts[k])])
            at += counts[k]
        }
        let payloadBits = values.map(\.bitPattern)
        let columns = WriteBatch(origin: BatchOrigin(kind: "test", source: "columns", wallTime: 0), series: keys,
                                 pointCounts: counts, times: times, columnValues: values)
        let callerUnchanged = values.map(\.bitPattern) == payloadBits
        #expect(callerUnchanged, "the caller's values are unchanged")
        #expect(columns.values[3].bitPattern == Double.nan.bitPattern)
        #expect(columns.series.count == data.count)
        let sameIndexes = columns.seriesIndexes == appended.seriesIndexes
        let sameValues = columns.values.map(\.bitPattern) == appended.values.map(\.bitPattern)
        let noOutcomes = columns.outcomes == [UInt8](repeating: Outcome.noneCode, count: times.count)
        #expect(sameIndexes && sameValues && noOutcomes)
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        let storeA = try Store.open(at: a.path), storeB = try Store.open(at: b.path)
        try storeA.importBulk(columns)
        try storeB.importBulk(appended)
        let got = try contents(storeA)
        #expect(got.count == data.count)
        #expect(got == (try contents(storeB)))
        #expect(got[data[0].key]?.times == data[0].times + extraTimes)
        // The LSN every point carries is the import's, in the blocks and after a reopen.
        try storeA.close()
        #expect(Store.verify(at: a.path).isClean)
        #expect(try contents(try Store.open(at: a.path)) == got)

        // Without the repeated key the batch is one run per series: the segments take its columns as they are,
        // and every point carries the import's LSN.
        let runCount = counts.count - 1, runPoints = times.count - extraTimes.count
        let runs = WriteBatch(origin: BatchOrigin(kind: "test", source: "runs", wallTime: 0),
                              series: Array(keys[..<runCount]), pointCounts: Array(counts[..<runCount]),
                              times: Array(times[..<runPoints]), columnValues: Array(values[..<runPoints]))
        let c = TemporaryDirectory()
        let storeC = try Store.open(at: c.path)
        try storeC.write(batch("before", points: [(1, 1)]))   // so the import's LSN is not the first
        try storeC.importBulk(runs)
        let lsn = try #require(storeC.imports().last?.lsn)
        #expect(lsn > 1)
        var fromRuns = try contents(storeC)
        fromRuns[SeriesKey(metric: "before", labels: ["dataset": "orders"])] = nil
        var expected = got
        expected[data[0].key] = try contents(storeB)[data[0].key].map { columns -> PointColumns in
            var first = columns
            first.times = Array(columns.times.prefix(data[0].times.count))
            first.values = Array(columns.values.prefix(data[0].times.count))
            return first
        }
        #expect(fromRuns == expected)
        for key in [data[0].key, data[1].key, data.last!.key] {
            let info = try #require(storeC.series(key: key))
            let lsns = Set(try storeC.read(info.id).lsns)
            #expect(lsns == [lsn], "\(key): LSNs \(lsns), the import's is \(lsn)")
        }
        try storeC.close()
        #expect(Store.verify(at: c.path).isClean)
    }

    /// A batch keeps no outcome column until a point has an outcome; then every earlier point reads as none.
    @Test func outcomesAppearWithTheFirstCheckPoint() throws {
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "mixed", wallTime: 0))
        let m = batch.addSeries(SeriesKey(metric: "rows"))
        let c = batch.addSeries(SeriesKey(metric: "check"), kind: .check)
        batch.append(series: m, time: 1, value: 1)
        batch.append(series: m, times: [2, 3][...], columnValues: [2, 3][...])
        #expect(batch.outcomes == [0, 0, 0])
        batch.append(series: c, time: 1, value: nil, outcome: .fail)
        batch.append(series: m, time: 4, value: 4)
        #expect(batch.outcomes == [0, 0, 0, Outcome.fail.rawValue, 0])
        try batch.validate()
        // A check point without an outcome is still refused.
        var missing = WriteBatch(origin: BatchOrigin(kind: "test", source: "missing", wallTime: 0))
        missing.append(series: missing.addSeries(SeriesKey(metric: "check"), kind: .check), time: 1, value: 1)
        #expect(throws: InputError.self) { try missing.validate() }
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch)
        #expect(throws: StoreError.self) { try store.write(missing) }
        let check = try #require(store.series(key: SeriesKey(metric: "check")))
        #expect(try store.read(check.id).outcomes == [Outcome.fail.rawValue])
    }

    /// The table of series by key is built on the first lookup: before it, lookups scan; after it, series added
    /// later are found through it; both answer alike, including for keys that are not there.
    @Test func keyLookupsBeforeAndAfterTheTableIsBuilt() throws {
        var index = SeriesIndex()
        let keys = (0..<300).map { SeriesKey(metric: "m\($0 % 7)", labels: [Label("s", "\($0)")]) }
        // Added one by one (an open of very many series leaves the table for later the same way).
        for (k, key) in keys.enumerated() {
            index.add(SeriesRecord(id: SeriesID(k + 1), key: key, kind: .measurement, attributes: Attributes(), createdLSN: 1))
        }
        #expect(index.seriesCount == 300)
        let missing = SeriesKey(metric: "m1", labels: [Label("s", "x")])
        let scanned = keys.map { index.id(of: $0) }
        #expect(scanned == (1...300).map { Optional(SeriesID($0)) })
        #expect(index.id(of: missing) == nil)
        index.prepareKeyLookups()
        #expect(keys.map { index.id(of: $0) } == scanned)
        #expect(index.id(of: missing) == nil)
        index.add(SeriesRecord(id: 301, key: missing, kind: .measurement, attributes: Attributes(), createdLSN: 2))
        #expect(index.id(of: missing) == 301)
        #expect(index.seriesCount == 301)
    }

    @Test func largeListingsAreInKeyOrderAndSeeNewSeries() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "many", wallTime: 0))
        var rng = SeededGenerator(seed: 5)
        // More series than the listing sorts directly (4,096), added in random key order.
        for n in (0..<6_000).shuffled(using: &rng) {
            let s = batch.addSeries(SeriesKey(metric: "m\(n % 7)", labels: [Label("n", "\(n)")]))
            batch.append(series: s, time: 1_000, value: Double(n))
        }
        try store.importBulk(batch)
        let first = store.series()
        #expect(first.count == 6_000)
        #expect(zip(first, first.dropFirst()).allSatisfy { $0.key < $1.key })
        #expect(store.series().map(\.id) == first.map(\.id))   // the cached order, again
        // A new series must appear, in its place.
        var more = WriteBatch(origin: BatchOrigin(kind: "test", source: "one more", wallTime: 0))
        more.append(series: more.addSeries(SeriesKey(metric: "m3", labels: [Label("n", "0000")])), time: 2_000, value: 1)
        try store.write(more)
        let second = store.series()
        #expect(second.count == 6_001)
        #expect(zip(second, second.dropFirst()).allSatisfy { $0.key < $1.key })
        #expect(second.contains { $0.key == SeriesKey(metric: "m3", labels: [Label("n", "0000")]) })
        // A selection of many series through the postings keeps the order too.
        let m3 = store.series(matching: SeriesSelector(metric: "m3"))
        #expect(m3.count == (0..<6_000).filter { $0 % 7 == 3 }.count + 1)   // plus the new one
        #expect(zip(m3, m3.dropFirst()).allSatisfy { $0.key < $1.key })
    }
}

@Suite("many short series")
struct ManyShortSeriesTests {
    @Test func everySeriesOfABulkImportIsListedWithItsLatestPoint() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "many", wallTime: 0))
        let n = 20_000
        for i in 0..<n {
            let s = batch.addSeries(SeriesKey(metric: "m\(i % 20)", labels: [Label("column", "c\(i % 20)"), Label("dataset", "d\(i / 20)")]))
            for p in 0..<3 { batch.append(series: s, time: 1_700_006_400_000 + Int64(p) * 86_400_000, value: Double(i * 31 + p)) }
        }
        try store.importBulk(batch)
        for reopened in [false, true] {
            let db = reopened ? try Store.open(at: dir.path, options: StoreOptions(readOnly: true)) : store
            let listed = db.series()
            #expect(listed.count == n, "reopened: \(reopened)")
            let latest = db.latest(listed.map(\.id))
            #expect(latest.allSatisfy { $0 != nil })
            for (info, point) in zip(listed, latest).prefix(50) {
                let i = Int(info.key[label: "dataset"]!.dropFirst())! * 20 + Int(info.key.metric.dropFirst())!
                #expect(point?.value == Double(i * 31 + 2))
            }
            if !reopened { try store.close() }
        }
    }
}

@Suite("key order by ranks")
struct RankedKeyOrderTests {
    @Test func ranksOrderKeysExactlyAsKeysCompare() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "ranks", wallTime: 0))
        var rng = SeededGenerator(seed: 21)
        // Keys that stress the comparison: shared prefixes, missing labels, numbers as text, non-ASCII.
        let values = ["", "a", "ab", "b", "B", "10", "9", "é", "e\u{301}x", "z z"]
        for n in 0..<3_000 {
            var labels: [Label] = []
            if n % 3 != 0 { labels.append(Label("a", values[Int.random(in: 0..<values.count, using: &rng)])) }
            if n % 5 != 0 { labels.append(Label("b", values[Int.random(in: 0..<values.count, using: &rng)] + "\(n)")) }
            if n % 7 == 0 { labels.append(Label("aa", "\(n % 4)")) }
            let s = batch.addSeries(SeriesKey(metric: ["m", "m_", "mm", "M"][n % 4], labels: labels))
            batch.append(series: s, time: 1_000, value: 1)
        }
        try store.importBulk(batch)
        let (ranked, direct) = store.state.withLock { s in
            (s.index.everySeriesInKeyOrder(),
             (1..<s.index.nextID).filter { s.index.knows($0) }.sorted { s.index.record($0)!.key < s.index.record($1)!.key })
        }
        #expect(ranked.count == batch.series.count)
        #expect(ranked == direct)
    }
}
