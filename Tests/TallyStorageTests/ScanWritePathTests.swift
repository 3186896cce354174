import Testing
import TallyAnalysis
import TallyStorage
import TallyTestSupport

/// The write path a scanner uses: many batches naming the same series, held in the head until a flush.
@Suite("Scan write path")
struct ScanWritePathTests {
    /// What a store must answer for one series: per time, the value and outcome of the last write.
    struct Model {
        var points: [Int64: (value: Double, outcome: UInt8)] = [:]

        func columns(in range: TimeRange = .all) -> (times: [Int64], values: [UInt64], outcomes: [UInt8]) {
            let times = points.keys.filter { range.contains($0) }.sorted()
            return (times, times.map { points[$0]!.value.bitPattern }, times.map { points[$0]!.outcome })
        }
    }

    static func expectSame(_ store: Store, _ key: SeriesKey, _ model: Model, isCheck: Bool,
                           range: TimeRange = .all, _ when: String) throws {
        let id = try #require(store.series(key: key)?.id, "\(key) \(when)")
        let read = try store.read(id, in: range)
        let want = model.columns(in: range)
        // Compared as booleans: the columns are thousands of points long.
        let sameTimes = read.times == want.times
        let sameValues = read.values.map(\.bitPattern) == want.values
        let sameOutcomes = read.outcomes == (isCheck ? want.outcomes : [])
        #expect(sameTimes, "times of \(key) \(when): \(read.count) read, \(want.times.count) expected")
        #expect(sameValues, "values of \(key) \(when)")
        #expect(sameOutcomes, "outcomes of \(key) \(when)")
    }

    /// More points than one head chunk holds, interleaved over series, late and repeated times: every read from
    /// the head, after the flush and after a reopen equals the model (the last write of a time wins).
    @Test func headAcrossChunksAnswersLikeAModel() throws {
        let dir = TemporaryDirectory()
        let keys = (0..<3).map { SeriesKey(metric: "rows", labels: ["table": "t\($0)"]) }
        let checkKey = SeriesKey(metric: "check", labels: ["name": "fresh"])
        var models = [Model](repeating: Model(), count: 4)
        var random = SeededGenerator(seed: 7)
        var store = try Store.open(at: dir.path, options: StoreOptions(flushThresholdPoints: 10_000_000))
        for b in 0..<40 {
            var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "b\(b)", wallTime: 0))
            let series = keys.map { batch.addSeries($0) } + [batch.addSeries(checkKey, kind: .check)]
            for _ in 0..<5_000 {
                let s = Int.random(in: 0..<4, using: &random)
                let time = Int64.random(in: 0..<20_000, using: &random)
                let value = Double(Int.random(in: 0..<1_000_000, using: &random)) / 8
                if s == 3 {
                    let outcome = Outcome.allCases.randomElement(using: &random)!
                    batch.append(series: series[s], time: time, value: value, outcome: outcome)
                    models[s].points[time] = (value, outcome.rawValue)
                } else {
                    batch.append(series: series[s], time: time, value: value)
                    models[s].points[time] = (value, Outcome.noneCode)
                }
            }
            try store.write(batch)
        }
        #expect(store.stats().segments == 0, "the whole history is in the head")
        let window = TimeRange(from: 5_000, to: 5_100)
        for stage in ["in the head", "after the flush", "after a reopen"] {
            if stage == "after the flush" { try store.flush() }
            if stage == "after a reopen" {
                try store.close()
                store = try Store.open(at: dir.path)
            }
            for (k, key) in (keys + [checkKey]).enumerated() {
                try Self.expectSame(store, key, models[k], isCheck: k == 3, stage)
                try Self.expectSame(store, key, models[k], isCheck: k == 3, range: window, "in \(window) \(stage)")
            }
        }
        try store.close()
    }

    /// A scanner sends the same list of series with every batch: the second and later batches resolve to the same
    /// series, an attribute change in a later batch is kept, and a batch that adds an invalid new series to the
    /// list is refused whole.
    @Test func repeatedSeriesListsResolveToTheSameSeries() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        func scan(_ k: Int64, attributes: Attributes = Attributes(), extra: SeriesKey? = nil) -> WriteBatch {
            var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "scan \(k)", wallTime: 0))
            for s in 0..<50 {
                let i = batch.addSeries(SeriesKey(metric: "rows", labels: ["table": "t\(s)"]),
                                        attributes: s == 0 ? attributes : Attributes())
                batch.append(series: i, time: k, value: Double(s) + Double(k))
            }
            if let extra { batch.append(series: batch.addSeries(extra), time: k, value: 0) }
            return batch
        }
        var receipt = try store.write(scan(1))
        #expect(receipt.newSeriesCount == 50)
        let ids = store.series().map(\.id)
        for k in Int64(2)...4 {
            receipt = try store.write(scan(k))
            #expect(receipt.newSeriesCount == 0)
        }
        #expect(store.series().map(\.id) == ids, "the same series, no new ones")
        try store.write(scan(5, attributes: Attributes(["unit": "rows"])))
        #expect(store.series(key: SeriesKey(metric: "rows", labels: ["table": "t0"]))?.attributes["unit"] == "rows")
        let bad = SeriesKey(metric: "rows count!", labels: ["table": "x"])
        let error = #expect(throws: StoreError.self) { try store.write(scan(6, extra: bad)) }
        #expect(error?.description.contains("rows count!") == true, "the error names the bad series")
        #expect(try pairs(store, "rows", labels: ["table": "t1"]).map(\.0) == [1, 2, 3, 4, 5], "scan 6 wrote nothing")
        try store.write(scan(7))
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(try pairs(reopened, "rows", labels: ["table": "t49"]).map(\.1) == [50, 51, 52, 53, 54, 56])
        #expect(reopened.series(key: SeriesKey(metric: "rows", labels: ["table": "t0"]))?.attributes["unit"] == "rows")
    }
}
