import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("Soda scan results in the store")
struct SodaIngestTests {
    /// The document's metrics as Foundation reads them: identity → (metricName, value).
    func metrics(_ name: String) throws -> [(String, Double?)] {
        let object = try JSONSerialization.jsonObject(with: Data(try SharedData.bytes("fixtures/soda/" + name))) as! [String: Any]
        return (object["metrics"] as! [[String: Any]]).map { ($0["metricName"] as! String, ($0["value"] as? NSNumber)?.doubleValue) }
    }

    func dataTime(_ name: String) throws -> Int64 {
        let object = try JSONSerialization.jsonObject(with: Data(try SharedData.bytes("fixtures/soda/" + name))) as! [String: Any]
        let text = object["dataTimestamp"] as! String
        return try #require(TimeText.parse(text))
    }

    @Test func twelveDaysOfScansAreAHistoryPerMetric() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let names = (1...12).map { String(format: "series_result_%02d.json", $0) }
        for name in names { try store.ingestSoda(try SharedData.bytes("fixtures/soda/" + name), source: name) }
        let rowCount = try #require(store.series(matching: SeriesSelector(metric: "row_count")).first)
        let points = try store.read(rowCount.id)
        #expect(points.times == (try names.map(dataTime)))
        let expected = try names.map { try metrics($0).first { $0.0 == "row_count" }!.1 }
        #expect(points.values == expected.map { $0! })
        #expect(rowCount.key[label: "dataset"] == "orders")
        #expect(rowCount.key[label: "scan_definition"] == "daily_orders")
        #expect(rowCount.attributes["value_type"] == "integer")
        // Every metric of the last scan is queryable at its data time.
        let last = try metrics(names[11])
        for (metric, value) in last where value != nil {
            let result = try store.query(metric + " | latest")
            #expect(result.series.first?.value(at: 0) == value, "\(metric)")
        }
        // Check series carry outcomes and the Soda identities.
        let checks = store.series(matching: SeriesSelector(metric: "check"))
        #expect(!checks.isEmpty)
        for check in checks {
            let columns = try store.read(check.id)
            #expect(columns.outcomes.count == columns.count)
            #expect(columns.outcomes.allSatisfy { Outcome(rawValue: $0) != nil })
            #expect(check.attributes["identity"] != nil)
        }
        #expect(try store.scans().count == 12)
    }

    @Test func resendingADocumentChangesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let bytes = try SharedData.bytes("fixtures/soda/results1.json")
        let first = try store.ingestSoda(bytes, source: "a.json").receipt
        #expect(!first.isDuplicate)
        let before = store.stats()
        // The same content with other whitespace is the same document.
        let reformatted = Array("  \n".utf8) + bytes + Array("\n\n".utf8)
        let second = try store.ingestSoda(reformatted, source: "b.json").receipt
        #expect(second.isDuplicate)
        #expect(second.lsn == first.lsn)
        #expect(store.stats().points == before.points)
        #expect(try store.scans().count == 1)
        try store.close()
        // Still recognised after a reopen (from the catalog).
        let reopened = try Store.open(at: dir.path)
        #expect(try reopened.ingestSoda(bytes, source: "c.json").receipt.isDuplicate)
    }

    @Test func aNewDocumentForTheSameScanReplacesItsPoints() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let original = String(decoding: try SharedData.bytes("fixtures/soda/series_result_03.json"), as: UTF8.self)
        try store.ingestSoda(Array(original.utf8), source: "first")
        let rowCount = try #require(try metrics("series_result_03.json").first { $0.0 == "row_count" }?.1)
        let changed = original.replacingOccurrences(of: "\"value\": \(Int(rowCount))", with: "\"value\": 4242")
        #expect(changed != original)
        let receipt = try store.ingestSoda(Array(changed.utf8), source: "second").receipt
        #expect(!receipt.isDuplicate)
        let series = try #require(store.series(matching: SeriesSelector(metric: "row_count")).first)
        #expect(try store.read(series.id).values == [4242])
        #expect(try store.scans().count == 2)
        #expect(try store.document(ofBatch: 1) != nil)
        #expect(try store.document(ofBatch: 2) != nil)
    }

    /// The same scan delivered both ways (the `soda scan -srf` file, then the Cloud payload) is one scan: the second
    /// changes nothing and names the first. A scan with other results is new.
    @Test func aScanDeliveredBothWaysIsStoredOnce() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let file = try store.ingestSoda(try SharedData.bytes("fixtures/soda/series_result_12.json"), source: "file")
        #expect(!file.receipt.isDuplicate)
        let payload = try store.ingestSoda(try SharedData.bytes("fixtures/soda/cloud_insert_payload.json"), source: "payload")
        #expect(file.scan.resultsHash == payload.scan.resultsHash && file.scan.contentHash != payload.scan.contentHash)
        #expect(payload.receipt.isDuplicate && payload.receipt.lsn == file.receipt.lsn)
        #expect(try store.scans().count == 1)
        // Once the first is deleted, the scan may come again.
        try store.delete(batch: file.receipt.lsn)
        let again = try store.ingestSoda(try SharedData.bytes("fixtures/soda/cloud_insert_payload.json"), source: "payload")
        #expect(!again.receipt.isDuplicate)
        let other = try store.ingestSoda(try SharedData.bytes("fixtures/soda/series_result_11.json"), source: "file")
        #expect(!other.receipt.isDuplicate)
    }

    @Test func rawDocumentComesBackWithoutItsToken() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let payload = try SharedData.bytes("fixtures/soda/cloud_insert_payload.json")
        // soda-core sends its API token in the body; the fixture had it removed, so put one back.
        let bytes = Array("{\"token\": \"secret-token-123\",".utf8) + payload.drop { $0 != UInt8(ascii: "{") }.dropFirst()
        #expect(String(decoding: bytes, as: UTF8.self).contains("secret-token-123"))
        let lsn = try store.ingestSoda(bytes, source: "payload").receipt.lsn
        try store.close()
        let reopened = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let document = try #require(try reopened.document(ofBatch: lsn))
        let back = try JSONSerialization.jsonObject(with: Data(document.bytes)) as! NSDictionary
        let original = (try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any])
            .filter { $0.key != "token" } as NSDictionary
        #expect(back == original)
        #expect(back["token"] == nil)
        #expect(!String(decoding: document.bytes, as: UTF8.self).contains("secret-token-123"))
        #expect(Store.verify(at: dir.path).isClean)
    }

    @Test func malformedDocumentNamesThePathAndWritesNothing() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let original = String(decoding: try SharedData.bytes("fixtures/soda/results1.json"), as: UTF8.self)
        let bad = original.replacingOccurrences(of: "\"outcome\": \"pass\"", with: "\"outcome\": \"passed\"")
        #expect(bad != original)
        let error = #expect(throws: StoreError.self) { try store.ingestSoda(Array(bad.utf8), source: "bad.json") }
        #expect(error?.description.contains("$.checks[") == true)
        #expect(error?.description.contains("outcome") == true)
        #expect(store.series(matching: .all).isEmpty)
        #expect(try store.scans().isEmpty)
        let truncated = Array(original.utf8.prefix(original.utf8.count / 2))
        let syntax = #expect(throws: StoreError.self) { try store.ingestSoda(truncated, source: "cut.json") }
        #expect(syntax?.description.contains("cut.json:") == true)
    }

    /// A scan deleted with its batch is forgotten: not listed, no document, and the same document lands again as
    /// a new scan — in the open store, after a reopen, and whether or not the store was compacted first.
    @Test(arguments: [false, true])
    func aDeletedScanCanBeIngestedAgain(compact: Bool) throws {
        let dir = TemporaryDirectory()
        var store = try Store.open(at: dir.path)
        let names = ["series_result_01.json", "series_result_02.json"]
        for name in names { try store.ingestSoda(try SharedData.bytes("fixtures/soda/" + name), source: name) }
        if compact { try store.compact() }
        let second = try SharedData.bytes("fixtures/soda/" + names[1])
        let hash = try #require(try store.scans().last?.contentHash)
        let rowCount = try #require(store.series(matching: SeriesSelector(metric: "row_count")).first)
        let times = try names.map(dataTime)
        let report = try store.delete(batch: 2)
        #expect(report.pointsDropped == 13)
        #expect(try store.scans().map(\.id) == [1])
        #expect(store.batch(withContentHash: hash) == nil)
        #expect(try store.document(ofBatch: 2) == nil)
        #expect(try store.read(rowCount.id).times == [times[0]])
        try store.close()
        store = try Store.open(at: dir.path)
        #expect(try store.scans().map(\.id) == [1])
        let (_, again) = try store.ingestSoda(second, source: "again.json")
        #expect(!again.isDuplicate)
        #expect(again.lsn == 3)
        #expect(again.pointCount == 13)
        #expect(try store.scans().map(\.id) == [1, 3])
        #expect(try store.scans().last?.contentHash == hash)
        #expect(try store.document(ofBatch: 3) != nil)
        #expect(try store.read(rowCount.id).times == times)
        // Now it is stored again, sending it once more changes nothing.
        #expect(try store.ingestSoda(second, source: "once-more.json").receipt.lsn == 3)
        try store.close()
        #expect(Store.verify(at: dir.path).isClean)
    }
}
