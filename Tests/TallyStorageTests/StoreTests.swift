#if canImport(Glibc)
import Glibc
#endif
import Testing
import TallyStorage
import TallyEncoding
import TallyTestSupport

@Suite("Store: write, read, reopen")
struct StoreTests {
    @Test func writesAndReadsBack() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let receipt = try store.write(batch(points: [(1000, 5), (2000, nil), (3000, -0.0), (4000, .nan)]))
        #expect(receipt.lsn == 1)
        #expect(receipt.newSeriesCount == 1)
        let got = try pairs(store)
        #expect(got.map(\.0) == [1000, 2000, 3000, 4000])
        #expect(got[0].1 == 5)
        #expect(got[1].1 == nil)
        #expect(got[2].1?.bitPattern == (-0.0).bitPattern)
        #expect(got[3].1?.isNaN == true)
        try store.close()
    }

    /// The catalog binds texts with their length: a NUL inside one (a feedback note) is kept, not where it ends.
    @Test func aNulInACatalogTextIsKeptWhole() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1000, 5)]))
        let id = try #require(store.series().first?.id)
        try store.setFeedback(series: id, time: 1000, verdict: .expected, note: "a\u{0}b")
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(try reopened.feedback().map(\.note) == ["a\u{0}b"])
        try reopened.close()
    }

    @Test func reopenAfterCloseKeepsEverything() throws {
        let dir = TemporaryDirectory()
        var points: [(Int64, Double?)] = []
        for i in 0..<500 {
            let value: Double? = i % 7 == 0 ? nil : Double(i) * 1.5
            points.append((Int64(i) * 60_000, value))
        }
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: points))
            try store.close()
        }
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened), points))
        #expect(reopened.stats().segments == 1)
        #expect(reopened.stats().headPoints == 0)
    }

    @Test func reopenWithoutCloseReplaysTheWAL() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1), (2, 2)]))
            try store.write(batch(points: [(3, 3)]))
            // No close: the head is never flushed, as after a crash.
        }
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened), [(1, 1), (2, 2), (3, 3)]))
        #expect(reopened.stats().segments == 0)
        // LSNs continue after the replayed ones.
        #expect(try reopened.write(batch(points: [(4, 4)])).lsn == 3)
    }

    @Test func laterLSNWinsInHeadSegmentsAndReplay() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(10, 1), (20, 1)]))
            try store.flush()
            try store.write(batch(points: [(10, 2)]))          // overrides a segment point from the head
            #expect(same(try pairs(store), [(10, 2), (20, 1)]))
            try store.flush()                                  // now two segments disagree: LSN decides
            #expect(same(try pairs(store), [(10, 2), (20, 1)]))
            try store.write(batch(points: [(20, 3), (20, 4)]))  // same time twice in one batch: the later row wins
        }
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened), [(10, 2), (20, 4)]))
        #expect(reopened.latest([reopened.series(matching: .all)[0].id])[0]?.value == 4)
    }

    @Test func outOfOrderAndLateWritesAreMergedByTime() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(500, 5), (100, 1), (300, 3)]))
        try store.flush()
        try store.write(batch(points: [(200, 2), (400, 4)]))
        #expect(same(try pairs(store), [(100, 1), (200, 2), (300, 3), (400, 4), (500, 5)]))
        #expect(same(try pairs(store, range: TimeRange(from: 200, to: 400)), [(200, 2), (300, 3)]))
    }

    @Test func latestPointCacheFollowsLateAndReplacedWrites() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(100, 1)]))
        let id = store.series(matching: .all)[0].id
        try store.write(batch(points: [(50, 9)]))    // late: not the latest
        #expect(store.latest([id])[0]?.time == 100)
        #expect(store.latest([id])[0]?.value == 1)
        try store.write(batch(points: [(100, 7)]))   // same time, later write
        #expect(store.latest([id])[0]?.value == 7)
        try store.write(batch(points: [(200, nil)])) // a null is news too
        #expect(store.latest([id])[0].map { NullValue.isNull($0.value) } == true)
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(reopened.latest([id])[0]?.time == 200)
    }

    @Test func badBatchChangesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        var bad = batch(points: [(2, 2)])
        bad.addSeries(SeriesKey(metric: "9bad", labels: [:]))
        #expect(throws: StoreError.self) { try store.write(bad) }
        #expect(same(try pairs(store), [(1, 1)]))
        #expect(store.series(matching: .all).count == 1)
        // A series written as a check after being a measurement is refused.
        #expect(throws: StoreError.self) { try store.write(batch(points: [(3, 3)], kind: .check, outcome: .pass)) }
        #expect(same(try pairs(store), [(1, 1)]))
    }

    /// A reversed range holds nothing (it used to trap slicing the points); a label value with a NUL is refused
    /// (the catalog would cut it short, so two series could end up with one key).
    @Test func reversedRangesAreEmptyAndNULValuesAreRefused() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1), (2, 2), (3, 3)]))
        #expect(try pairs(store, range: TimeRange(from: 3, to: 1)).isEmpty)
        try store.flush()
        #expect(try pairs(store, range: TimeRange(from: 3, to: 1)).isEmpty)
        #expect(same(try pairs(store, range: TimeRange(from: 2, to: 3)), [(2, 2)]))
        #expect(throws: StoreError.self) { try store.write(batch(labels: ["dataset": "a\u{0}b"], points: [(4, 4)])) }
        #expect(store.series(matching: .all).count == 1)
    }

    @Test func checkSeriesKeepOutcomes() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch("check_result", points: [(1, 0)], kind: .check, outcome: .pass))
        try store.write(batch("check_result", points: [(2, 12)], kind: .check, outcome: .fail))
        try store.flush()
        try store.write(batch("check_result", points: [(3, nil)], kind: .check, outcome: .error))
        let info = try #require(store.series(matching: SeriesSelector(metric: "check_result")).first)
        #expect(info.kind == .check)
        let columns = try store.read(info.id)
        #expect(columns.outcomes == [Outcome.pass.rawValue, Outcome.fail.rawValue, Outcome.error.rawValue])
    }

    @Test func selectorsMatchLabels() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        for dataset in ["orders", "customers", "order_items"] {
            try store.write(batch(labels: ["dataset": dataset, "source": "pg"], points: [(1, 1)]))
        }
        try store.write(batch("avg", labels: ["dataset": "orders", "column": "amount"], points: [(1, 1)]))
        func names(_ selector: SeriesSelector) -> [String] {
            store.series(matching: selector).map { "\($0.key.metric):\($0.key[label: "dataset"] ?? "")" }
        }
        #expect(names(SeriesSelector(metric: "row_count")) == ["row_count:customers", "row_count:order_items", "row_count:orders"])
        #expect(names(SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .equal, value: "orders")])) == ["avg:orders", "row_count:orders"])
        #expect(names(SeriesSelector(metric: "row_count", matchers: [try LabelMatcher(name: "dataset", op: .notEqual, value: "orders")])) == ["row_count:customers", "row_count:order_items"])
        #expect(names(SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .matchesRegex, value: "order.*")])) == ["avg:orders", "row_count:order_items", "row_count:orders"])
        // Regular expressions match the whole value.
        #expect(names(SeriesSelector(matchers: [try LabelMatcher(name: "dataset", op: .matchesRegex, value: "order")])) == [])
        #expect(names(SeriesSelector(metric: "row_count", matchers: [try LabelMatcher(name: "dataset", op: .notMatchesRegex, value: "order.*")])) == ["row_count:customers"])
        // A missing label compares as empty.
        #expect(names(SeriesSelector(matchers: [try LabelMatcher(name: "column", op: .equal, value: "")])).count == 3)
        #expect(throws: InputError.self) { try LabelMatcher(name: "x", op: .matchesRegex, value: "(") }
    }

    @Test func segmentsAreSplitByMonth() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let jan15: Int64 = 1_705_276_800_000   // 2024-01-15
        let day: Int64 = 86_400_000
        let points: [(Int64, Double?)] = (0..<60).map { (jan15 + Int64($0) * day, Double($0)) }  // to mid-March
        try store.write(batch(points: points))
        try store.flush()
        #expect(store.stats().segments == 3)
        #expect(same(try pairs(store), points))
    }

    /// Times in the first and last months of the `Int64` range flush into their months' segments and read back
    /// (the end of the last month is past the range; the flush used to trap computing it). `Int64.max` itself is
    /// the end of every range, so a point there is refused, and the batch changes nothing.
    @Test func timesAtTheEndsOfTheRangeFlushAndReadBack() throws {
        let dir = TemporaryDirectory()
        let points: [(Int64, Double?)] = [(.min, 1), (.min + 1, 2), (-1, 3), (0, 4),
                                          (.max - 86_400_000, 5), (WriteBatch.latestTime, 6)]
        do {
            let store = try Store.open(at: dir.path)
            #expect(throws: StoreError.self) { try store.write(batch(points: [(1, 1), (.max, 7)])) }
            #expect(throws: StoreError.self) { try store.importBulk(batch(points: [(.max, 7)])) }
            #expect(store.series(matching: .all).isEmpty)
            try store.write(batch(points: points))
            try store.flush()
            #expect(store.stats().segments == 4)
            #expect(same(try pairs(store), points))
            #expect(same(try pairs(store, range: TimeRange(from: .max - 1, to: .max)), [(.max - 1, 6)]))
            try store.close()
        }
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened), points))
    }

    @Test func bulkImportIsVisibleAtOnceAndTakesPrecedence() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1), (2, 2)]))
        let receipt = try store.importBulk(batch(points: [(2, 20), (3, 30)]))
        #expect(receipt.lsn == 2)
        #expect(same(try pairs(store), [(1, 1), (2, 20), (3, 30)]))
        #expect(try store.write(batch(points: [(3, 33)])).lsn == 3)
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened), [(1, 1), (2, 20), (3, 33)]))
        #expect(try reopened.imports().map(\.lsn) == [1, 2, 3])
    }

    @Test func readOnlyHandleSeesAcknowledgedPointsWhileWriterRuns() throws {
        let dir = TemporaryDirectory()
        let writer = try Store.open(at: dir.path)
        try writer.write(batch(points: [(1, 1)]))
        try writer.flush()
        try writer.write(batch(points: [(2, 2)]))   // only in the WAL
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        #expect(same(try pairs(reader), [(1, 1), (2, 2)]))
        #expect(throws: StoreError.self) { try reader.write(batch(points: [(3, 3)])) }
        // A second writer is refused.
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
    }

    @Test func refusesADirectoryThatIsNotAStore() throws {
        let dir = TemporaryDirectory()
        try writeFileBytes(dir.child("notes.txt"), Array("hello".utf8))
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
    }

    @Test func automaticFlushAtTheThreshold() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path, options: StoreOptions(flushThresholdPoints: 100))
        for i in 0..<5 {
            try store.write(batch(points: (0..<30).map { (Int64(i * 30 + $0), Double($0)) }))
        }
        #expect(store.stats().segments >= 1)
        #expect(store.stats().points == 150)
        #expect(try pairs(store).count == 150)
    }

    /// A series is a measurement or a check for good: a batch that gives one key both kinds, or writes a stored
    /// series as the other kind, is refused naming the series (no field: the kind is no column of the input).
    @Test func aSeriesKeepsItsKind() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 5)]))
        var both = WriteBatch(origin: BatchOrigin(kind: "test", source: "both", wallTime: 0))
        both.addSeries(SeriesKey(metric: "m"))
        both.addSeries(SeriesKey(metric: "m"), kind: .check)
        let twice = #expect(throws: InputError.self) { try both.validate() }
        #expect(twice?.message == "series m is given both as a measurement and as a check" && twice?.field == nil)
        for bulk in [false, true] {
            let asCheck = batch(points: [(2, 1)], kind: .check, outcome: .pass)
            do {
                _ = bulk ? try store.importBulk(asCheck) : try store.write(asCheck)
                Issue.record("a measurement series written as a check was accepted")
            } catch {
                guard case .invalid(let input) = error else { Issue.record("\(error)"); continue }
                #expect(input.message == "series row_count{dataset=\"orders\"} is a measurement series; the batch writes it as a check",
                        "\(input)")
                #expect(input.field == nil && input.seriesIndex == 0)
            }
        }
        #expect(try pairs(store).map(\.0) == [1])
    }

    /// Values and outcomes come back typed through the accessors: nil for a null, nil outcome for a measurement.
    @Test func pointsAndLatestPointsGiveTypedValuesAndOutcomes() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 5), (2, nil)]))
        try store.write(batch("check", labels: ["check": "c"], points: [(1, 1), (2, nil)], kind: .check, outcome: .fail))
        let rows = try #require(store.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "orders"])))
        let check = try #require(store.series(key: SeriesKey(metric: "check", labels: ["check": "c"])))
        let measured = try store.read(rows.id), checked = try store.read(check.id)
        #expect(measured.value(at: 0) == 5 && measured.value(at: 1) == nil && measured.outcome(at: 0) == nil)
        #expect(checked.value(at: 0) == 1 && checked.outcome(at: 0) == .fail && checked.outcome(at: 1) == .fail)
        let latest = store.latest([rows.id, check.id])
        #expect(latest[0]?.optionalValue == nil && latest[0]?.time == 2 && latest[0]?.checkOutcome == nil)
        #expect(latest[1]?.checkOutcome == .fail)
    }

    /// A second handle for writing in the same process is refused, saying it is this process that holds the lock.
    @Test func aSecondWriterInTheSameProcessIsToldItHoldsTheLockItself() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        guard case .locked(_, let holder)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(holder == getpid())
        #expect(error?.description.contains("by a handle this process (\(getpid())) already opened for writing") == true,
                "\(String(describing: error))")
        try store.close()
    }
}
