import Foundation
import Testing
@testable import TallyQuery

/// The `alert` column of anomaly results in the three output formats and through point-picking stages.
@Suite struct AlertColumnTests {
    /// Three points: normal, a flag that alerts, a flag that does not (inside a refractory period).
    static func annotated() -> ResultSeries {
        var s = ResultSeries(metric: "row_count", labels: ["dataset": "orders"], times: [0, 86_400_000, 172_800_000],
                             values: [100, 0, 0])
        s.expected = [100, 100, 100]
        s.lower = [90, 90, 90]
        s.upper = [110, 110, 110]
        s.score = [0.1, 1, 1]
        s.anomaly = [false, true, true]
        s.alert = [false, true, false]
        return s
    }

    @Test func csvHasAnAlertColumnAfterAnomaly() {
        let lines = QueryResult(series: [Self.annotated()]).csv().split(separator: "\n").map(String.init)
        #expect(lines == [
            "metric,dataset,time,value,expected,lower,upper,score,anomaly,alert",
            "row_count,orders,1970-01-01T00:00:00Z,100.0,100.0,90.0,110.0,0.1,false,false",
            "row_count,orders,1970-01-02T00:00:00Z,0.0,100.0,90.0,110.0,1.0,true,true",
            "row_count,orders,1970-01-03T00:00:00Z,0.0,100.0,90.0,110.0,1.0,true,false",
        ])
    }

    @Test func jsonHasAnAlertFieldAfterAnomaly() throws {
        let text = QueryResult(series: [Self.annotated()]).json()
        #expect(text.contains(#"{"time":"1970-01-02T00:00:00Z","value":0.0,"expected":100.0,"lower":90.0,"upper":110.0,"score":1.0,"anomaly":true,"alert":true}"#))
        #expect(text.contains(#""anomaly":true,"alert":false}"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let points = try #require((object["series"] as? [[String: Any]])?.first?["points"] as? [[String: Any]])
        #expect(points.map { $0["alert"] as? Bool } == [false, true, false])
    }

    @Test func tableShowsTheAlertColumn() {
        let lines = QueryResult(series: [Self.annotated()]).table().split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix("score  anomaly  alert") == true, "\(lines.first ?? "")")
        #expect(lines.last?.hasSuffix("1.0  true     false") == true, "\(lines.last ?? "")")
    }

    @Test func withoutAnAlertColumnTheOutputIsUnchanged() {
        var s = Self.annotated()
        s.alert = nil
        let r = QueryResult(series: [s])
        #expect(r.csv().hasPrefix("metric,dataset,time,value,expected,lower,upper,score,anomaly\n"))
        #expect(!r.json().contains("alert"))
        #expect(!r.table().contains("alert"))
    }

    @Test func pointPickingStagesKeepTheColumn() {
        let s = Self.annotated()
        let picked = s.selecting([1, 2])
        #expect(picked.alert == [true, false] && picked.anomaly == [true, true])
        #expect(s.slice(2..<3).alert == [false])
    }
}
