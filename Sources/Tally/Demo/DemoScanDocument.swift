import TallyQuery
import TallySoda
import TallyStorage

/// One scan of the demo's `warehouse` data source as Soda Core would report it (the `soda scan -srf` results
/// shape): the demo builds these documents and ingests them like real scan results.
struct DemoScanDocument {
    let definition: String
    let dataSource: String
    let time: Int64
    private var metrics: [String] = []
    private var checks: [String] = []
    private var failures = false
    private var warnings = false

    init(definition: String, dataSource: String, time: Int64) {
        self.definition = definition
        self.dataSource = dataSource
        self.time = time
    }

    /// Soda's metric identity: `metric-DEFINITION-DATASOURCE-TABLE[-COLUMN]-METRIC`.
    func metricIdentity(_ metric: String, table: String, column: String?) -> String {
        (["metric", definition, dataSource, table] + (column.map { [$0] } ?? []) + [metric]).joined(separator: "-")
    }

    /// Adds a metric; `nil` records a scan that measured nothing (a null value).
    mutating func add(metric: String, table: String, column: String? = nil, value: Double?) {
        let identity = metricIdentity(metric, table: table, column: column)
        metrics.append("{\"identity\": \(JSONText.string(identity)), \"metricName\": \(JSONText.string(metric)), \"value\": \(DemoScanDocument.number(value))}")
    }

    /// Adds a check evaluated on a metric of the scan.
    mutating func add(check name: String, table: String, column: String? = nil, metric: String, value: Double?,
                      outcome: Outcome) {
        let identity = DemoScanDocument.identity(of: "\(dataSource)/\(table)/\(column ?? "")/\(name)")
        let definitionText = "checks for \(table):\n  \(name)"
        let metricID = metricIdentity(metric, table: table, column: column)
        if outcome == .fail { failures = true }
        if outcome == .warn { warnings = true }
        checks.append("{\"identity\": \"\(identity)\", \"identities\": {\"v3\": \"\(identity)\"}, \"name\": \(JSONText.string(name)), "
            + "\"type\": \"generic\", \"definition\": \(JSONText.string(definitionText)), \"dataSource\": \(JSONText.string(dataSource)), "
            + "\"table\": \(JSONText.string(table)), \"column\": \(column.map(JSONText.string) ?? "null"), "
            + "\"metrics\": [\(JSONText.string(metricID))], \"outcome\": \"\(outcome)\", "
            + "\"diagnostics\": {\"value\": \(DemoScanDocument.number(value))}}")
    }

    /// The document's JSON bytes.
    var bytes: [UInt8] {
        let stamp = DemoScanDocument.timestamp(time)
        let end = DemoScanDocument.timestamp(time + 2_000)
        let text = "{\"definitionName\": \(JSONText.string(definition)), \"defaultDataSource\": \(JSONText.string(dataSource)), "
            + "\"dataTimestamp\": \"\(stamp)\", \"scanStartTimestamp\": \"\(stamp)\", \"scanEndTimestamp\": \"\(end)\", "
            + "\"hasErrors\": false, \"hasWarnings\": \(warnings), \"hasFailures\": \(failures), "
            + "\"metrics\": [\(metrics.joined(separator: ", "))], \"checks\": [\(checks.joined(separator: ", "))]}"
        return Array(text.utf8)
    }

    /// `2024-05-01T06:00:00+00:00`, as Soda writes times.
    static func timestamp(_ millis: Int64) -> String {
        String(TimeText.format(millis - millis % 1000).dropLast()) + "+00:00"
    }

    /// Integers as Soda writes counts (`10`), decimals in their shortest form, `null` for no value.
    static func number(_ value: Double?) -> String {
        guard let value else { return "null" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// A stable 8-hex-digit identity (FNV-1a), standing in for Soda's hash of the check's definition.
    static func identity(of text: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
