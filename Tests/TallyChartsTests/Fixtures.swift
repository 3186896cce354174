import Foundation
import TallyEncoding
import TallyQuery
import TallyStorage
@testable import TallyCharts

let NULL = NullValue.value
let MINUTE: Int64 = 60_000
let HOUR: Int64 = 3_600_000
let DAY: Int64 = 86_400_000

/// Epoch milliseconds of a UTC date-time.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
    TimeText.parse(String(format: "%04d-%02d-%02dT%02d:%02d:00Z", year, month, day, hour, minute))!
}

/// A measurement series of `values` every `step` from `start`.
func series(_ metric: String, _ labels: Labels = [:], start: Int64 = utc(2024, 3, 1, 6), step: Int64 = DAY,
            _ values: [Double]) -> ResultSeries {
    ResultSeries(metric: metric, labels: labels, times: values.indices.map { start + Int64($0) * step }, values: values)
}

/// A series without labels.
func series(_ metric: String, _ values: [Double]) -> ResultSeries {
    series(metric, Labels(), values)
}

/// 60 daily row counts with a weekly rhythm, a null on day 20, an expected range, and an anomaly (a drop) on day 40.
func annotatedRowCounts() -> ResultSeries {
    func base(_ d: Int) -> Double {
        let weekend: Double = d % 7 >= 5 ? -3_000 : 0
        return 12_000 + Double(d) * 15 + weekend
    }
    var values: [Double] = []
    for d in 0..<60 { values.append(base(d) + Double((d * 37) % 11) * 40) }
    values[20] = NULL
    values[40] = 150
    var s = series("row_count", ["dataset": "orders"], values)
    let expected: [Double] = (0..<60).map { base($0) + 200 }
    s.expected = expected
    s.lower = expected.map { $0 - 900 }
    s.upper = expected.map { $0 + 900 }
    s.anomaly = (0..<60).map { $0 == 40 }
    s.score = (0..<60).map { $0 == 40 ? 14.2 : 0.3 }
    var reasons = [String?](repeating: nil, count: 60)
    reasons[20] = "no value recorded"
    reasons[40] = "value below the expected range"
    s.reasons = reasons
    return s
}

/// Outcome counts of 14 daily scans of 6 checks: series as the `outcomes` stage gives them.
func outcomeSeries(labels: Labels = [:]) -> [ResultSeries] {
    let times = (0..<14).map { utc(2024, 5, 1, 6) + Int64($0) * DAY }
    var fail = [Double](repeating: 0, count: 14), warn = fail, error = fail
    fail[3] = 2; fail[9] = 1; warn[5] = 1; warn[9] = 2; error[11] = 1
    let pass = (0..<14).map { 6 - fail[$0] - warn[$0] - error[$0] }
    func make(_ outcome: String, _ values: [Double]) -> ResultSeries {
        var l = labels
        l["outcome"] = outcome
        return ResultSeries(metric: "outcomes", labels: l, times: times, values: values)
    }
    return [make("error", error), make("fail", fail), make("pass", pass), make("warn", warn)]
}

/// Three hourly series over two days.
func threeHourlySeries() -> [ResultSeries] {
    ["customers", "orders", "payments"].enumerated().map { k, name in
        series("row_count", Labels(["dataset": name]), start: utc(2024, 5, 1), step: HOUR,
               (0..<48).map { h in Double(1_000 * (k + 1)) + Double((h * (k + 3)) % 17) * 25 })
    }
}

/// Reads a golden file next to this source file; regenerates it when TALLY_UPDATE_GOLDEN=1.
func checkGolden(_ name: String, _ actual: String) throws -> (matches: Bool, message: String) {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    let url = directory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["TALLY_UPDATE_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try actual.write(to: url, atomically: true, encoding: .utf8)
        print("updated golden file \(url.path)")
        return (true, "")
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        return (false, "golden file \(url.path) is missing; run with TALLY_UPDATE_GOLDEN=1 to create it, then review it")
    }
    if expected == actual { return (true, "") }
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
    let old = line < a.count ? String(a[line]) : "(end)", new = line < b.count ? String(b[line]) : "(end)"
    return (false, "\(name) differs from the golden file at line \(line + 1):\n  golden: \(old)\n  actual: \(new)\n"
            + "If the change is intended, regenerate with TALLY_UPDATE_GOLDEN=1 and review the diff.")
}

/// The `<rect>` elements of outcome bars, as (outcome, count, y, height).
func barRects(_ svg: String) -> [(outcome: String, count: Double, y: Double, height: Double)] {
    var out: [(String, Double, Double, Double)] = []
    for line in svg.split(separator: "\n") where line.contains("data-outcome") {
        for part in line.components(separatedBy: "<rect ").dropFirst() {
            func attribute(_ name: String) -> String {
                let start = part.range(of: " \(name)=\"") ?? part.range(of: "\(name)=\"")!
                let rest = part[start.upperBound...]
                return String(rest[..<rest.firstIndex(of: "\"")!])
            }
            out.append((attribute("data-outcome"), Double(attribute("data-count").replacingOccurrences(of: ",", with: ""))!,
                        Double(attribute("y"))!, Double(attribute("height"))!))
        }
    }
    return out
}

/// Whether text parses as JSON.
func isValidJSON(_ text: String) -> Bool {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil
}
