import Foundation
import Testing
import Tally
import TallyTestSupport

/// The example at the top of docs/library.md compiles and runs: it is written here, between the markers, and the
/// test checks that the document shows the same lines (the store's path apart).
@Suite("docs/library.md example")
struct LibraryDocExampleTests {
    @Test func theExampleRuns() throws {
        let directory = TemporaryDirectory()
        // BEGIN library.md
        // Open (or create) a store. One process writes; others can open it with StoreOptions(readOnly: true).
        let store = try Store.open(at: directory.path)

        // Write a batch: series, then points as columns. The call returns once the batch is durable.
        var batch = WriteBatch(origin: BatchOrigin(kind: "api", source: "nightly-job"))
        let rows = batch.addSeries(SeriesKey(metric: "row_count", labels: ["datasource": "pg", "dataset": "orders"]),
                                   attributes: Attributes(["unit": "rows", "value_type": "integer"]))
        let check = batch.addSeries(SeriesKey(metric: "check", labels: ["dataset": "orders", "check": "row_count > 0"]),
                                    kind: .check)
        let t = TimeText.parse("2024-05-01T06:00:00Z")!
        batch.append(series: rows, time: t, value: 1_204)
        batch.append(series: check, time: t, value: 1_204, outcome: .pass)
        let receipt = try store.write(batch)          // receipt.lsn identifies the batch

        // Importers holding columns append a series' run at once (values in column form: nil → NullValue.value);
        // a large batch grouped by series in time order goes through `importBulk` without any per-point work.
        let history: (times: [Int64], values: [Double?]) = (times: [t - 86_400_000, t], values: [1_180, nil])
        var bulk = WriteBatch(origin: BatchOrigin(kind: "api", source: "backfill"))
        bulk.append(series: bulk.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "orders"])),
                    times: history.times[...], columnValues: history.values.map(columnValue)[...])
        try store.importBulk(bulk)

        // Columns already grouped by series are taken whole, without a copy: series k has the next pointCounts[k]
        // points. A store loads 10M points this way in about 0.35 s (docs/performance.md).
        let keys = [SeriesKey(metric: "row_count", labels: ["dataset": "a"]), SeriesKey(metric: "row_count", labels: ["dataset": "b"])]
        let counts = [2, 1]
        let allTimes: [Int64] = [t, t + 3_600_000, t]          // a's two points, then b's one
        let allValues: [Double] = [10, 11, columnValue(nil)]   // column form: a null is NullValue.value
        let columns = WriteBatch(origin: BatchOrigin(kind: "api", source: "parquet"),
                                 series: keys, pointCounts: counts, times: allTimes, columnValues: allValues)
        try store.importBulk(columns)

        // Find series with a selector: metric and label matchers (=, !=, =~, !~; regexes match whole values, in linear
        // time: RE2 syntax, docs/query-language.md). A pattern can also be compiled and matched on its own:
        // try LabelPattern("ord.*").matchesWhole("orders") == true; a bad one throws LabelPatternError (message, column).
        let selector = SeriesSelector(metric: "row_count",
                                      matchers: [try LabelMatcher(name: "dataset", op: .matchesRegex, value: "ord.*")])
        for info in store.series(matching: selector) {
            // Read a half-open range as columns: times, values (null = NullValue), outcomes (empty for a measurement
            // series: check `points.outcomes.isEmpty` before indexing), LSNs. Bounds a user gave go
            // through TimeRange(checkedFrom:to:), which throws ReversedTimeRangeError (both bounds; message(start:end:)
            // names them as the user wrote them) for a start after the end, as tally's options and API do.
            let points = try store.read(info.id, in: TimeRange(from: t, to: t + 86_400_000))
            for i in points.times.indices {
                // value(at:) is nil for a null; outcome(at:) is the check's Outcome (nil for a measurement series).
                print(TimeText.format(points.times[i]), points.value(at: i) ?? "null", points.outcome(at: i) ?? "")
            }
        }

        // The latest point of many series at once, from the in-memory cache (optionalValue, checkOutcome typed).
        let latest = store.latest(store.series(matching: .all).map(\.id))

        // Sizes, checksums, durability.
        let stats = store.stats()                     // series, points, segments, bytes, bytesPerPoint
        let report = Store.verify(at: store.path)     // every checksum of every file
        try store.flush()
        try store.close()
        // END library.md
        #expect(receipt.lsn == 1 && stats.series == 5 && latest.count == 5, "\(receipt) \(stats)")
        #expect(report.isClean, "\(report)")
    }

    @Test func theDocumentShowsTheExampleAsWritten() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        // The document's first Swift block, without its import.
        let block = try #require(document.components(separatedBy: "```swift\n").dropFirst().first?
            .components(separatedBy: "\n```").first)
        let shown = block.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).map(String.init)
        // The lines between the markers, unindented, with the test's directory for the document's path.
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let begin = try #require(lines.firstIndex { $0.hasSuffix("// BEGIN library.md") })
        let end = try #require(lines.firstIndex { $0.hasSuffix("// END library.md") })
        let run = lines[(begin + 1)..<end].map { line in
            String(line.dropFirst(8)).replacingOccurrences(of: "Store.open(at: directory.path)",
                                                           with: "Store.open(at: \"/var/lib/tally\")")
        }
        #expect(run == shown)
    }
}
