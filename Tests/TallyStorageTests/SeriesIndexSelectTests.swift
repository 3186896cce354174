import Testing
@testable import TallyStorage
import TallyTestSupport

/// Selections answered from the label postings pick exactly what matching every key picks, on the index built
/// while writing and on the one built at a reopen.
@Suite("Selections from the postings")
struct SeriesIndexSelectTests {
    /// Matchers that reject a missing label without being an `=~` that cannot match "" — `!=""` and a `!~` whose
    /// regex matches "" — alone (answered from the label's values), after a metric or an equality (fewer
    /// candidates), next to the other kinds, and on a label with more values than candidates (matched key by
    /// key). The store has series without the label and series whose value is the empty string, 12,000 series in
    /// all, so the reopen builds its postings on another core.
    @Test func matchersRejectingAMissingLabelPickWhatTheKeysMatch() throws {
        let dir = TemporaryDirectory()
        var keys: [SeriesKey] = []
        let live = try Store.open(at: dir.path)
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "postings", wallTime: 0))
        for i in 0..<12_000 {
            var labels = [Label("column", "c\(i)")]
            if i % 7 != 0 { labels.append(Label("dataset", i % 11 == 0 ? "" : "d\(i % 40)")) }  // missing, empty
            if i % 2 == 0 { labels.append(Label("owner", i % 3 == 0 ? "" : "d\(i % 5)")) }      // "d1" is also a dataset
            if i % 4 == 1 { labels.append(Label("uid", "u\(i)")) }                              // more values than candidates
            let key = SeriesKey(metric: "m\(i % 3)", labels: labels)
            keys.append(key)
            batch.append(series: batch.addSeries(key), time: 1_000, value: Double(i))
        }
        try live.importBulk(batch)

        func matcher(_ name: String, _ op: MatchOperator, _ value: String) throws -> LabelMatcher {
            try LabelMatcher(name: name, op: op, value: value)
        }
        let selectors = [
            SeriesSelector(matchers: [try matcher("dataset", .notEqual, "")]),
            SeriesSelector(matchers: [try matcher("owner", .notEqual, "")]),
            SeriesSelector(matchers: [try matcher("dataset", .notMatchesRegex, "")]),
            SeriesSelector(matchers: [try matcher("dataset", .notMatchesRegex, "(d1.*)?")]),
            SeriesSelector(matchers: [try matcher("dataset", .notMatchesRegex, "d1|")]),
            SeriesSelector(matchers: [try matcher("owner", .notMatchesRegex, "d[12]?")]),
            SeriesSelector(matchers: [try matcher("owner", .notMatchesRegex, "(?i)D0|")]),
            SeriesSelector(metric: "m1", matchers: [try matcher("dataset", .notEqual, "")]),
            SeriesSelector(metric: "m2", matchers: [try matcher("owner", .notMatchesRegex, "|d3")]),
            SeriesSelector(matchers: [try matcher("dataset", .equal, "d4"), try matcher("owner", .notEqual, "")]),
            SeriesSelector(matchers: [try matcher("owner", .notEqual, ""), try matcher("dataset", .notMatchesRegex, "(d1.*)?")]),
            SeriesSelector(matchers: [try matcher("dataset", .matchesRegex, "d1.*"), try matcher("owner", .notMatchesRegex, "|d1")]),
            SeriesSelector(matchers: [try matcher("dataset", .notEqual, ""), try matcher("owner", .notEqual, "d1")]),
            SeriesSelector(matchers: [try matcher("dataset", .notEqual, ""), try matcher("owner", .equal, "")]),
            SeriesSelector(matchers: [try matcher("uid", .notEqual, "")]),
            SeriesSelector(matchers: [try matcher("dataset", .equal, "d1"), try matcher("uid", .notEqual, "")]),
            SeriesSelector(metric: "m0", matchers: [try matcher("dataset", .equal, "d9"),
                                                    try matcher("uid", .notMatchesRegex, "(u1.*)?")]),
            // `__name__` is the metric, as in PromQL: every kind of matcher, alone and with others.
            SeriesSelector(matchers: [try matcher("__name__", .equal, "m1")]),
            SeriesSelector(matchers: [try matcher("__name__", .matchesRegex, "m[02]")]),
            SeriesSelector(matchers: [try matcher("__name__", .notEqual, "m1"), try matcher("dataset", .equal, "d4")]),
            SeriesSelector(matchers: [try matcher("__name__", .notMatchesRegex, "m0|m1"), try matcher("owner", .notEqual, "")]),
            SeriesSelector(metric: "m2", matchers: [try matcher("__name__", .matchesRegex, "m.")]),
        ]
        // Matchers of every non-empty value, of a label no series has and of values no series has.
        let none = [SeriesSelector(matchers: [try matcher("nobody", .notEqual, "")]),
                    SeriesSelector(matchers: [try matcher("dataset", .notMatchesRegex, ".*")]),
                    SeriesSelector(metric: "m1", matchers: [try matcher("__name__", .equal, "m2")]),
                    SeriesSelector(matchers: [try matcher("__name__", .equal, "")])]
        func check(_ store: Store, _ when: String) {
            for selector in selectors {
                let expected = keys.filter { selector.matches($0) }
                let got = store.series(matching: selector).map(\.key)
                #expect(got.count == expected.count && Set(got) == Set(expected), "\(when): \(selector)")
                #expect(!expected.isEmpty && expected.count < keys.count, "\(when): \(selector) is a weak case")
            }
            for selector in none { #expect(store.series(matching: selector).isEmpty, "\(when): \(selector)") }
        }
        #expect(Set(keys).count == keys.count)
        check(live, "written")
        try live.close()
        check(try Store.open(at: dir.path, options: StoreOptions(readOnly: true)), "reopened")
    }

    /// No series may have a label called `__name__`: selectors read that name as the metric.
    @Test func aLabelNamedLikeTheMetricIsRefused() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "reserved"))
        batch.append(series: batch.addSeries(SeriesKey(metric: "m", labels: [Label("__name__", "x")])), time: 1, value: 1)
        let error = #expect(throws: StoreError.self) { try store.write(batch) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("__name__ is reserved"), "\(String(describing: error))")
        #expect(store.series(matching: .all).isEmpty)
    }
}
