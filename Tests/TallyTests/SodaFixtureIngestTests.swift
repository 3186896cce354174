import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("Every Soda fixture lands field by field")
struct SodaFixtureIngestTests {
    static let fixtures = ["rich.json", "fresh.json", "results1.json", "cloud_insert_payload.json"]
        + (1...12).map { String(format: "series_result_%02d.json", $0) }

    @Test(arguments: fixtures)
    func metricsAndChecksLandWhereTheyShould(name: String) throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let bytes = try SharedData.bytes("fixtures/soda/" + name)
        let (_, receipt) = try store.ingestSoda(bytes, source: name)
        // The document, read independently with Foundation.
        let doc = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        let dataTime = try #require(TimeText.parse(doc["dataTimestamp"] as! String))
        let metrics = doc["metrics"] as? [[String: Any]] ?? []
        let checks = (doc["checks"] as? [[String: Any]] ?? []) + (doc["automatedMonitoringChecks"] as? [[String: Any]] ?? [])
        #expect(receipt.pointCount == metrics.count + checks.count)
        // Each numeric metric: a measurement series carrying the Soda identity, one point at the data time.
        for metric in metrics {
            let identity = metric["identity"] as! String
            let found = store.series(whereAttribute: "identity", equals: identity).filter { $0.kind == .measurement }
            #expect(found.count == 1, "\(name): \(identity)")
            guard let series = found.first else { continue }
            let points = try store.read(series.id)
            #expect(points.times == [dataTime], "\(identity)")
            if let number = metric["value"] as? NSNumber, !(metric["value"] is Bool) {
                #expect(points.values == [number.doubleValue], "\(identity)")
            }
            if let table = metric["tableName"] as? String { #expect(series.key[label: "dataset"] == table) }
            if let column = metric["columnName"] as? String { #expect(series.key[label: "column"] == column) }
        }
        // Each check: a check series (by its identity) with the outcome the document gives at the data time.
        let codes: [String: UInt8] = ["pass": 1, "warn": 2, "fail": 3, "error": 4]
        for check in checks {
            let identity = check["identity"] as! String
            let found = store.series(whereAttribute: "identity", equals: identity).filter { $0.kind == .check }
            #expect(!found.isEmpty, "\(name): check \(identity)")
            guard let series = found.first else { continue }
            let points = try store.read(series.id)
            #expect(points.times.contains(dataTime))
            let expected = (check["outcome"] as? String).flatMap { codes[$0] } ?? Outcome.notEvaluated.rawValue
            let i = try #require(points.times.firstIndex(of: dataTime))
            #expect(points.outcomes[i] == expected, "\(name): check \(identity)")
            if let table = check["table"] as? String { #expect(series.key[label: "dataset"] == table) }
            #expect(series.attributes["name"] == check["name"] as? String)
        }
    }
}
