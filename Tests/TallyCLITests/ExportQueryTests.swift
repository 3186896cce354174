import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("tally export, series and query through the built binary")
struct ExportQueryTests {
    static let csv = #"""
        time,metric,value,outcome,dataset,column
        2024-05-01T06:00:00Z,row_count,1204,,orders,
        2024-05-01T06:00:00.123Z,missing_count,3,,orders,"e,mail"
        2024-05-02T06:00:00+02:00,row_count,,,orders,
        2024-05-03T06:00:00Z,row_count,-0.0,,orders,
        2024-05-04T06:00:00Z,row_count,NaN,,orders,
        2024-05-05T06:00:00Z,row_count,1e300,,orders,
        2024-05-06T06:00:00Z,row_count,0.1,,orders,
        2024-05-07T06:00:00Z,row_count,-Infinity,,orders,
        2024-05-01T06:00:00Z,check,12,fail,orders,"say ""hi"""

        """#

    @Test func exportRoundTripsExactly() throws {
        let dir = TemporaryDirectory()
        let first = dir.child("first"), second = dir.child("second")
        try writeText(dir.child("in.csv"), Self.csv)
        #expect(try runTally(["ingest", "csv", dir.child("in.csv"), "--store", first]).status == 0)
        let exported = try runTally(["export", "--store", first])
        #expect(exported.status == 0, "\(exported.stderr)")
        try writeText(dir.child("out.csv"), exported.stdout)
        let again = try runTally(["ingest", "csv", dir.child("out.csv"), "--store", second])
        #expect(again.status == 0, "\(again.stderr)")
        let reexported = try runTally(["export", "--store", second])
        #expect(reexported.stdout == exported.stdout)
        // Bit-exact values, nulls and outcomes survive, read through the library.
        let a = try Store.open(at: first, options: StoreOptions(readOnly: true))
        let b = try Store.open(at: second, options: StoreOptions(readOnly: true))
        let seriesA = a.series(matching: .all), seriesB = b.series(matching: .all)
        #expect(seriesA.map(\.key) == seriesB.map(\.key))
        #expect(seriesA.map(\.kind) == seriesB.map(\.kind))
        for (x, y) in zip(seriesA, seriesB) {
            let px = try a.read(x.id), py = try b.read(y.id)
            #expect(px.times == py.times)
            #expect(px.outcomes == py.outcomes)
            #expect(px.values.map(\.bitPattern) == py.values.map(\.bitPattern))
        }
        // The +02:00 offset and the milliseconds were applied.
        #expect(exported.stdout.contains("2024-05-02T04:00:00Z"))
        #expect(exported.stdout.contains("2024-05-01T06:00:00.123Z"))
    }

    @Test func exportSelectsSeriesAndHalfOpenRanges() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        try writeText(dir.child("in.csv"), Self.csv)
        #expect(try runTally(["ingest", "csv", dir.child("in.csv"), "--store", store]).status == 0)
        let result = try runTally(["export", #"row_count{dataset="orders"}"#, "--since", "2024-05-03T06:00:00Z",
                                   "--until", "2024-05-05T06:00:00Z", "--format", "json", "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let series = try #require(json?["series"] as? [[String: Any]])
        #expect(series.count == 1)
        let points = try #require(series[0]["points"] as? [[String: Any]])
        #expect(points.map { $0["time"] as? String } == ["2024-05-03T06:00:00Z", "2024-05-04T06:00:00Z"])
        let bad = try runTally(["export", "row_count{dataset=", "--store", store])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("query error at 1:"))
    }

    @Test func queryPrintsThreeFormatsAndPositionsErrors() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        try writeText(dir.child("in.csv"), "time,metric,value,dataset\n" + (1...9).map {
            "2024-05-0\($0)T06:00:00Z,row_count,\($0 * 10),orders"
        }.joined(separator: "\n") + "\n")
        #expect(try runTally(["ingest", "csv", dir.child("in.csv"), "--store", store]).status == 0)
        let query = "row_count | change avg last 3"
        let json = try runTally(["query", query, "--format", "json", "--store", store])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let points = ((object?["series"] as? [[String: Any]])?.first?["points"] as? [[String: Any]]) ?? []
        // latest 90 minus the average of 60, 70, 80
        #expect(points.first?["value"] as? Double == 90 - (60 + 70 + 80) / 3.0)
        let csv = try runTally(["query", query, "--format", "csv", "--store", store])
        #expect(csv.stdout.hasPrefix("metric,dataset,time,value\n"))
        let table = try runTally(["query", query, "--store", store])
        #expect(table.stdout.contains("row_count"))
        let bad = try runTally(["query", "row_count | bucket 1d avgg", "--store", store])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("query error at 1:23"))
        #expect(bad.stderr.contains("did you mean `avg`?"))
        #expect(bad.stderr.contains("^"))
    }
}
