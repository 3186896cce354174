import Tally

/// Prints, for each series with a planted incident, the points the anomaly stage flags from ten days before the
/// incident to five days after it, with their expected values and reasons (which give the expected ranges), and
/// the query to try.
func printDemoAnomalies(_ db: Store, summary: DemoStore.Summary) throws {
    let day: Int64 = 86_400_000
    printOut("")
    printOut("The planted incidents, found by the anomaly detector:")
    var seen = Set<SeriesKey>()
    for incident in summary.incidents where seen.insert(incident.series).inserted {
        let query = "\(incident.series) | since \(TimeText.format(incident.from - 10 * day)) | until \(TimeText.format(incident.from + 5 * day)) | anomalies | where anomaly"
        let result = try db.query(query, now: summary.to + day)
        printOut("")
        printOut("\(incident.kind) in \(incident.series):")
        printOut("  tally query --store \(db.path) '\(query)'")
        let points = result.series.flatMap { s in (0..<s.count).map { (s, $0) } }
        if points.isEmpty { printOut("  (nothing flagged)") }
        for (s, i) in points {
            let value = s.value(at: i).map { formatAnomalyNumber($0) } ?? "null"
            let expected = s.expected.flatMap { optionalValue($0[i]) }.map { "expected " + formatAnomalyNumber($0, significant: 4) } ?? ""
            printOut("  \(TimeText.format(s.times[i]))  \(value)  \(expected)  \(s.reason(at: i) ?? "")")
        }
    }
}
