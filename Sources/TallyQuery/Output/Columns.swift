import TallyStorage
import TallyEncoding
/// The flat column layout shared by CSV and table output:
/// `metric, <label names...>, time, value, [reason], [outcome], [expected], [lower], [upper], [score], [anomaly], [alert]`.
///
/// Label columns are the union of all series' label names, sorted. A label named like a column `tally ingest csv`
/// reads (`metric`, `time`, `value`, `outcome`) or like an optional column shown (`reason`, ...) is `label:NAME`. Optional columns appear only when some series has them
/// (`reason` when some point carries one: a stage explained a null, or a null in a result with anomaly columns; a
/// null stored by a scan in a plain result has an empty cell, so `tally export` output reads back through
/// `tally ingest csv` exactly).
struct FlatLayout {
    enum Extra: String, CaseIterable {
        case reason, outcome, expected, lower, upper, score, anomaly, alert
    }

    let labelNames: [String]
    let extras: [Extra]

    init(_ result: QueryResult) {
        labelNames = Set(result.series.flatMap { $0.labels.map(\.name) }).sorted()
        var extras: [Extra] = []
        let series = result.series
        // A null in an annotated result (an `anomalies` stage ran) is explained, as JSON explains it; a plain
        // export leaves a stored null's cell empty.
        if series.contains(where: { s in
            (0..<s.count).contains { s.reason(at: $0) != nil || (s.expected != nil && s.isNull(at: $0)) }
        }) {
            extras.append(.reason)
        }
        if series.contains(where: { $0.outcomes?.contains { $0 != 0 } == true }) { extras.append(.outcome) }
        if series.contains(where: { $0.expected != nil }) { extras.append(.expected) }
        if series.contains(where: { $0.lower != nil }) { extras.append(.lower) }
        if series.contains(where: { $0.upper != nil }) { extras.append(.upper) }
        if series.contains(where: { $0.score != nil }) { extras.append(.score) }
        if series.contains(where: { $0.anomaly != nil }) { extras.append(.anomaly) }
        if series.contains(where: { $0.alert != nil }) { extras.append(.alert) }
        self.extras = extras
    }

    var header: [String] {
        // The four columns `tally ingest csv` reads as such, shown or not (so an `outcome` label, the `outcomes`
        // stage's too, is `label:outcome`), and the optional columns shown.
        let fixed = Set(["metric", "time", "value", "outcome"] + extras.map(\.rawValue))
        return ["metric"] + labelNames.map { fixed.contains($0) ? "label:\($0)" : $0 } + ["time", "value"]
            + extras.map(\.rawValue)
    }

    /// The cells of every point, in header order; `null` is the text for a null value.
    func rows(_ result: QueryResult, null: String) -> [[String]] {
        var rows: [[String]] = []
        for s in result.series {
            let labelCells = labelNames.map { s.labels[$0] ?? "" }
            for i in 0..<s.count {
                var row = [s.metric] + labelCells
                row.append(TimeText.format(s.times[i]))
                row.append(s.isNull(at: i) ? null : NumberFormat.plain(s.values[i]))
                for extra in extras {
                    switch extra {
                    case .reason: row.append(s.shownReason(at: i) ?? "")
                    case .outcome: row.append(s.outcomes.map { NumberFormat.outcomeName($0[i]) } ?? "")
                    case .expected: row.append(NumberFormat.optional(s.expected?[i], null: null))
                    case .lower: row.append(NumberFormat.optional(s.lower?[i], null: null))
                    case .upper: row.append(NumberFormat.optional(s.upper?[i], null: null))
                    case .score: row.append(NumberFormat.optional(s.score?[i], null: null))
                    case .anomaly: row.append(s.anomaly.map { $0[i] ? "true" : "false" } ?? "")
                    case .alert: row.append(s.alert.map { $0[i] ? "true" : "false" } ?? "")
                    }
                }
                rows.append(row)
            }
        }
        return rows
    }
}

/// Number and name spellings shared by the output formats.
/// Numbers as query output writes them (shortest exact form).
public enum NumberFormat {
    /// The reason given for a null value that came without one (a null stored by the scan).
    static let nullReason = "no value recorded"

    /// Shortest text that reads back as the same double; integers keep a `.0` (`100.0`), so integer-ness
    /// stays readable and the type stays a float. NaN and infinities as `NaN`, `Infinity`, `-Infinity`.
    public static func plain(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v == .infinity { return "Infinity" }
        if v == -.infinity { return "-Infinity" }
        return v.description
    }

    /// ``plain(_:)`` for a value cell: `null` for the null marker, an empty string for no cell.
    public static func optional(_ v: Double?, null: String) -> String {
        guard let v else { return "" }
        return NullValue.isNull(v) ? null : plain(v)
    }

    /// `pass`, `warn`, `fail`, `error`, `not_evaluated`; empty for a measurement point.
    public static func outcomeName(_ code: UInt8) -> String {
        code == 0 ? "" : CheckOutcome(rawValue: code)?.name ?? "unknown(\(code))"
    }
}
