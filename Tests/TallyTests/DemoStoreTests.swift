import Testing
import Tally
import TallyTestSupport

@Suite("the demo store")
struct DemoStoreTests {
    /// Every point of every series, by series key, for comparing two stores.
    func points(_ store: Store) throws -> [String: [(Int64, Double)]] {
        var all: [String: [(Int64, Double)]] = [:]
        for info in store.series(matching: .all) {
            let columns = try store.read(info.id)
            all[info.key.description] = zip(columns.times, columns.values).map { ($0, $1) }
        }
        return all
    }

    /// `notAfter` leaves out the scans after it and changes nothing in the scans before it: the hourly dataset's
    /// scans stop within the anchor day, the daily ones are there only when their time has come.
    @Test(arguments: [5, 10, 30])
    func scansAfterNotAfterAreLeftOutAndTheRestAreUnchanged(hoursIntoTheAnchorDay: Int) throws {
        let anchor = try #require(TimeText.parse("2025-03-14T00:00:00Z"))
        let cut = anchor + Int64(hoursIntoTheAnchorDay) * 3_600_000
        let fullDirectory = TemporaryDirectory(), cutDirectory = TemporaryDirectory()
        let full = try Store.open(at: fullDirectory.path), clipped = try Store.open(at: cutDirectory.path)
        try DemoStore(anchorDay: anchor, days: 20).build(into: full)
        let summary = try DemoStore(anchorDay: anchor, days: 20, notAfter: cut).build(into: clipped)

        let everything = try points(full), kept = try points(clipped)
        var expectedCount = 0
        for (key, series) in everything {
            let early = series.filter { $0.0 <= cut }
            expectedCount += early.count
            #expect((kept[key] ?? []).map(\.0) == early.map(\.0), "\(key)")
            #expect(zip(kept[key] ?? [], early).allSatisfy { $0.1 == $1.1 || ($0.1.isNaN && $1.1.isNaN) }, "\(key)")
        }
        #expect(kept.values.map(\.count).reduce(0, +) == expectedCount)
        #expect(Set(kept.keys).isSubset(of: Set(everything.keys)))
        #expect(summary.to == Swift.min(anchor + 86_400_000, cut + 1))
        #expect(summary.pointCount == expectedCount)
        #expect(everything.values.contains { $0.contains { $0.0 > cut } } == (hoursIntoTheAnchorDay < 24))
        let latest = kept.values.compactMap { $0.last?.0 }.max() ?? .min
        let end = Swift.min(cut, anchor + 86_400_000)   // the hourly scans run up to the cut or the day's end
        #expect(latest <= cut && latest > end - 3_600_000, "\(TimeText.format(latest))")
    }

    /// Every measurement series has a unit for its charts' axes, also those the demo loads as Soda scan results
    /// (which carry none).
    @Test func everyMeasurementSeriesHasAUnit() throws {
        let directory = TemporaryDirectory()
        let store = try Store.open(at: directory.path)
        try DemoStore(anchorDay: try #require(TimeText.parse("2025-03-14T00:00:00Z")), days: 10).build(into: store)
        let measurements = store.series(matching: .all).filter { $0.kind == .measurement }
        #expect(measurements.contains { $0.key.labels.contains { $0.name == "datasource" && $0.value == "warehouse" } })
        for info in measurements {
            #expect(info.attributes["unit"] != nil, "\(info.key)")
        }
    }
}
