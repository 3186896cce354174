import Foundation
import Testing

@testable import TallySoda

@Suite("The 12-day series")
struct SeriesTests {
    @Test("all twelve parse in order with increasing data timestamps and stable series")
    func series() throws {
        let scans = try Fixtures.seriesDocuments.map { try SodaScan.parse(try Fixtures.bytes($0)) }
        #expect(scans.count == 12)
        for (day, scan) in zip(1..., scans) {
            let text = String(format: "2024-05-%02dT06:00:00+00:00", day)
            #expect(scan.timeMilliseconds == Fixtures.foundationMillis(text))
        }
        for (a, b) in zip(scans, scans.dropFirst()) {
            #expect(a.dataTimestamp < b.dataTimestamp)
        }

        // Row counts, read from each file by Foundation.
        var expectedRowCounts: [Int] = []
        for name in Fixtures.seriesDocuments {
            let metrics = try #require(try Fixtures.foundationJSON(name).array("metrics") as? [[String: Any]])
            let rowCount = try #require(metrics.first { $0.string("metricName") == "row_count" })
            expectedRowCounts.append(try #require(rowCount["value"] as? Int))
        }
        #expect(expectedRowCounts == [100, 102, 101, 103, 104, 102, 105, 106, 104, 107, 108, 300])
        let rowCounts = try scans.map { scan in
            try #require(scan.measurements.first { $0.metricName == "row_count" })
        }
        #expect(rowCounts.map { $0.value?.int64Value } == expectedRowCounts.map { Int64($0) })
        #expect(rowCounts.allSatisfy { $0.isInteger == true })
        // One series: identical labels every day.
        #expect(Set(rowCounts.map(\.labels)).count == 1)
        #expect(rowCounts[0].labels == ["datasource": "hist", "scan_definition": "daily_orders", "dataset": "orders"])

        // Schema: 5 columns, then 6 from day 11 (a column was added).
        let columns = scans.map { $0.measurements.first { $0.metricName == "schema" }?.value?.int64Value }
        #expect(columns == [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6])

        // Check keys are stable across days; day 1 lacks the change checks (not sent without history).
        #expect(scans[0].checks.count == 5)
        #expect(scans[1...].allSatisfy { $0.checks.count == 10 })
        #expect(Set(scans[1...].map { $0.checks.map(\.key) }).count == 1)
    }

    @Test("day 12: change-over-time and anomaly results as Soda reported them")
    func dayTwelve() throws {
        let scan = try SodaScan.parse(try Fixtures.bytes("series_result_12.json"))
        let change = try #require(scan.checks.first { $0.name == "change for row_count < 50" })
        #expect(change.value == SodaNumber(192))
        #expect(change.historicValue == SodaNumber(108))
        #expect(change.outcome == .fail)
        let percent = try #require(scan.checks.first { $0.name.hasPrefix("change percent") })
        #expect(percent.value?.literal == "177.77777777777777")
        #expect(percent.value?.isInteger == false)
        let v1 = try #require(scan.checks.first { $0.name == "anomaly score for row_count < default" })
        #expect(v1.outcome == .warn)
        #expect(v1.v1 == "29ae0ba4")
        #expect(v1.value?.literal == "300.0")
        let v2 = try #require(scan.checks.first { $0.name == "anomaly detection for row_count" })
        #expect(v2.outcome == .fail)
        #expect(v2.predictedValue?.literal == "107.9818117523121")
        #expect(v2.fail == SodaThreshold(greaterThanOrEqual: SodaNumber(literal: "112.8"), lessThanOrEqual: SodaNumber(literal: "103.2")))
        #expect(v2.warn == SodaThreshold(greaterThanOrEqual: SodaNumber(literal: "112.0"), lessThanOrEqual: SodaNumber(literal: "104.0")))
        #expect(scan.measurement(for: v2)?.value == SodaNumber(300))
    }

    @Test("days 1-3: anomaly checks are present but not evaluated")
    func notEvaluatedDays() throws {
        for name in Fixtures.seriesDocuments.prefix(3) {
            let scan = try SodaScan.parse(try Fixtures.bytes(name))
            let v1 = try #require(scan.checks.first { $0.name == "anomaly score for row_count < default" })
            #expect(v1.outcome == .notEvaluated)
            #expect(v1.outcomeReasons.first?.code == "not_enough_measurements")
        }
    }
}
