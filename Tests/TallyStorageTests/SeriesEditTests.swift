import Testing
import TallyStorage
import TallyTestSupport

@Suite("Series attributes and links")
struct SeriesEditTests {
    @Test func settingAttributesDoesNotStartANewSeries() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        let changed = try store.setAttributes(Attributes(["unit": "rows", "description": "orders loaded"]),
                                              of: SeriesSelector(metric: "row_count"))
        #expect(changed == 1)
        #expect(try store.setAttributes(Attributes(["unit": "rows"]), of: SeriesSelector(metric: "row_count")) == 0)
        try store.write(batch(points: [(2, 2)]))
        let all = store.series(matching: .all)
        #expect(all.count == 1)
        #expect(all[0].attributes["unit"] == "rows")
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(reopened.series(matching: .all)[0].attributes["description"] == "orders loaded")
        #expect(same(try pairs(reopened), [(1, 1), (2, 2)]))
    }

    @Test func linkJoinsHistoriesAndKeepsTheNewSeriesPoints() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let old = SeriesKey(metric: "check", labels: ["check": "v3-aaaa"])
        let new = SeriesKey(metric: "check", labels: ["check": "v4-bbbb"])
        try store.write(batch("check", labels: ["check": "v3-aaaa"], points: [(1, 10), (2, 20), (3, 30)], kind: .check, outcome: .pass))
        try store.flush()
        try store.write(batch("check", labels: ["check": "v4-bbbb"], points: [(3, 33), (4, 40)], kind: .check, outcome: .fail))
        let report = try store.link(old, into: new)
        #expect(report == SeriesLinkReport(moved: 2, superseded: 1))
        let info = try #require(store.series(key: new))
        let columns = try store.read(info.id)
        #expect(columns.times == [1, 2, 3, 4])
        #expect(columns.values == [10, 20, 33, 40])
        #expect(columns.outcomes == [1, 1, 3, 3])
        #expect(info.attributes["linked_from"] == old.description)
        #expect(store.series(matching: .all).map(\.key) == [new])
        #expect(try store.link(old, into: new) == SeriesLinkReport(moved: 0, superseded: 0))
        #expect(throws: StoreError.self) { try store.link(SeriesKey(metric: "nope"), into: new) }
        // A series linked to itself: refused, saying so, and the series keeps its points and attributes.
        let itself = #expect(throws: StoreError.self) { try store.link(new, into: new) }
        #expect("\(itself.map { "\($0)" } ?? "")".contains("are the same series"), "\(String(describing: itself))")
        #expect(try store.read(info.id).times == [1, 2, 3, 4])
        #expect(store.series(key: new)?.attributes["linked_from"] == old.description)
    }
}

extension SeriesEditTests {
    /// People's verdicts follow their points into the new series, so the detector on it still sees a confirmed
    /// incident; a verdict whose point the new series' own point superseded, or at a time where the new series has
    /// a verdict, stays with the old series (listed, removable), never silently on the new one.
    @Test func linkMovesVerdictsWithTheirPoints() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let old = SeriesKey(metric: "check", labels: ["check": "v3-aaaa"])
        let new = SeriesKey(metric: "check", labels: ["check": "v4-bbbb"])
        try store.write(batch("check", labels: ["check": "v3-aaaa"], points: [(1, 10), (2, 20), (3, 30), (5, 50)], kind: .check, outcome: .pass))
        try store.write(batch("check", labels: ["check": "v4-bbbb"], points: [(3, 33), (4, 40)], kind: .check, outcome: .fail))
        let from = try #require(store.series(key: old)), to = try #require(store.series(key: new))
        try store.setFeedback(series: from.id, time: 2, verdict: .anomaly, note: "real incident")
        try store.setFeedback(series: from.id, time: 3, verdict: .expected)       // its point is superseded by new's
        try store.setFeedback(series: from.id, time: 5, verdict: .exclude)
        try store.setFeedback(series: to.id, time: 5, verdict: .expected)         // new's own verdict at that time wins
        try store.setFeedback(series: from.id, time: 9, verdict: .exclude)        // a time without a point moves too
        let report = try store.link(old, into: new)
        #expect(report == SeriesLinkReport(moved: 3, superseded: 1, verdictsMoved: 2))
        let onNew = try store.feedback(series: [to.id])
        #expect(onNew.map(\.time) == [2, 5, 9])
        #expect(onNew.map(\.verdict) == [.anomaly, .expected, .exclude])
        #expect(onNew.first?.note == "real incident")
        let left = try store.feedback(series: [from.id])
        #expect(left.map(\.time) == [3, 5] && left.map(\.verdict) == [.expected, .exclude])
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(try reopened.feedback(series: [to.id]).map(\.time) == [2, 5, 9])
        #expect(try reopened.link(old, into: new).verdictsMoved == 0)
    }
}
