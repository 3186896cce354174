import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

#if canImport(Glibc)
import Glibc
#endif

/// A store a batch was deleted from, then served: `tally serve` compacts in the background, and what it answers
/// before and after that compaction, and what the store holds once reopened, are the same.
@Suite("serving a store after tally delete --import", .serialized)
struct DeleteThenServeTests {
    static let may1: Int64 = 1_714_521_600_000   // 2024-05-01

    /// A batch of `m` points: (day after 2024-05-01, value).
    static func batch(_ points: [(day: Int64, value: Double)]) -> WriteBatch {
        var b = WriteBatch(origin: BatchOrigin(kind: "csv", source: "points.csv"))
        let s = b.addSeries(SeriesKey(metric: "m", labels: [:]))
        for p in points { b.append(series: s, time: may1 + p.day * 86_400_000, value: p.value) }
        return b
    }

    @Test func backgroundCompactionAfterADeleteChangesNoAnswerAndADeletedScanLandsAgain() async throws {
        let second = try SodaFixtures.bytes("series_result_02.json")
        let server = try await TestServer(seed: { store in
            try store.ingestSoda(try SodaFixtures.bytes("series_result_01.json"), source: "01.json")
            try store.flush()
            try store.ingestSoda(second, source: "02.json")
            try store.flush()
            // m: 1 at days 0 and 1; batch 4 (deleted) replaces day 0 with 2 and writes day 2; batch 5 writes day 3.
            try store.write(Self.batch([(0, 1), (1, 1)]))
            try store.flush()
            let bad = try store.write(Self.batch([(0, 2), (2, 2)]))
            try store.flush()
            try store.write(Self.batch([(3, 5)]))
            try store.flush()
            try store.delete(batch: bad.lsn)
            try store.delete(batch: 2)
        }, configure: { configuration in
            configuration.compactionInterval = 0.05
            configuration.compactionMinimumSegments = 1
        })
        let query = "/api/v1/query?q=m&format=csv&now=2024-06-01T00:00:00Z"
        let first = try await server.get(query)
        #expect(first.status == 200, "\(first.text)")
        #expect(first.text.contains("2024-05-02T00:00:00Z") && first.text.contains("2024-05-04T00:00:00Z"), "\(first.text)")
        #expect(!first.text.contains("2024-05-01T00:00:00Z"), "the replaced value came back: \(first.text)")
        #expect(!first.text.contains("2024-05-03T00:00:00Z"), "a deleted point is read: \(first.text)")
        // The deleted scan is gone from the listing, and its document lands again as a new scan.
        let scans = try await server.get("/api/v1/scans")
        #expect((scans.json as? [[String: Any]])?.compactMap { $0["scan"] as? Int } == [1], "\(scans.text)")
        let ingest = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                           headers: ["Content-Type": "application/json"], body: second)
        #expect(ingest.status == 200, "\(ingest.text)")
        #expect(ingest.object["duplicate"] as? Bool == false, "\(ingest.text)")
        #expect(ingest.object["lsn"] as? Int == 6, "\(ingest.text)")
        // The background compaction merges everything into one segment; the answer stays the same.
        var waited = 0
        while server.server.store.stats().segments > 1 && waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        try server.server.store.flush()
        waited = 0
        while server.server.store.stats().segments > 1 && waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(server.server.store.stats().segments == 1)
        let compacted = try await server.get(query)
        #expect(compacted.text == first.text)
        await server.stop()
        let reopened = try Store.open(at: server.storePath, options: StoreOptions(readOnly: true))
        let m = try #require(reopened.series(key: SeriesKey(metric: "m", labels: [:])))
        let columns = try reopened.read(m.id)
        #expect(columns.times == [Self.may1 + 86_400_000, Self.may1 + 3 * 86_400_000])
        #expect(columns.values == [1, 5])
        #expect(try reopened.scans().map(\.id) == [1, 6])
    }
}
