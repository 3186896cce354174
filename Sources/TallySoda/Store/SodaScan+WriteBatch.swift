import TallyStorage

extension SodaScan {
    /// The metric name every check series has.
    public static let checkMetric = "check"

    /// The write batch for this scan: one measurement series per metric, one check series per check, all at
    /// the scan's data timestamp; the batch's origin records the scan (definition, data source, times, flags,
    /// content hash) so `tally scans` can list it and a re-sent document is recognised.
    ///
    /// - Parameter source: where the document came from (a file name, `api`, `soda-cloud-api`).
    public func writeBatch(source: String) -> WriteBatch {
        var details: [String: String] = [
            BatchOrigin.contentHashKey: contentHash,
            BatchOrigin.resultsHashKey: resultsHash,
            "document_kind": kind.rawValue,
            "data_time": TimeText.format(timeMilliseconds),
            "scan_start": TimeText.format(scanStartTimestamp.epochMilliseconds),
            "scan_end": TimeText.format(scanEndTimestamp.epochMilliseconds),
            "has_errors": "\(hasErrors)", "has_warnings": "\(hasWarnings)", "has_failures": "\(hasFailures)",
            "measurements": "\(measurements.count)", "checks": "\(checks.count)",
        ]
        details["definition"] = definitionName
        details["datasource"] = defaultDataSource
        details["failed_checks"] = "\(checks.filter { $0.outcome == .fail }.count)"
        details["warned_checks"] = "\(checks.filter { $0.outcome == .warn }.count)"
        var batch = WriteBatch(origin: BatchOrigin(kind: "soda", source: source, details: details))
        batch.reserveCapacity(points: measurements.count + checks.count)
        for m in measurements {
            var attributes = m.attributes
            let metric = SodaScan.seriesName(m.metricName)
            if metric != m.metricName { attributes["soda_metric"] = m.metricName }
            if let isInteger = m.isInteger { attributes["value_type"] = isInteger ? "integer" : "decimal" }
            if m.number == nil, let derived = m.derived { attributes["derived_from"] = derived.rule.rawValue }
            let series = batch.addSeries(SeriesKey(metric: metric, labels: m.labels), kind: .measurement,
                                         attributes: Attributes(attributes))
            batch.append(series: series, time: m.timeMilliseconds, value: m.value?.doubleValue)
        }
        for c in checks {
            var labels = c.labels
            labels["datasource"] = c.dataSource ?? defaultDataSource
            labels["dataset"] = c.dataset
            labels["column"] = c.column
            var attributes = c.attributes
            for (version, identity) in c.identityVersions { attributes["identity_\(version)"] = identity }
            if !c.aliases.isEmpty { attributes["aliases"] = c.aliases.joined(separator: " ") }
            if let fail = c.fail { attributes["fail_threshold"] = SodaJSONWriter.string(fail.json, sortKeys: true) }
            if let warn = c.warn { attributes["warn_threshold"] = SodaJSONWriter.string(warn.json, sortKeys: true) }
            if let measurement = c.measurementIdentity { attributes["measurement_identity"] = measurement }
            let series = batch.addSeries(SeriesKey(metric: SodaScan.checkMetric, labels: labels), kind: .check,
                                         attributes: Attributes(attributes))
            let outcome = Outcome(rawValue: UInt8(c.outcome.rawValue)) ?? .notEvaluated
            batch.append(series: series, time: c.timeMilliseconds, value: (c.value ?? c.derived?.value)?.doubleValue,
                         outcome: outcome)
        }
        return batch
    }

    /// A Soda metric name as a Tally metric name: characters outside `[A-Za-z0-9_.]` become `_`.
    static func seriesName(_ name: String) -> String {
        var out = ""
        for (i, scalar) in name.unicodeScalars.enumerated() {
            let ok = scalar.isASCII && (scalar.properties.isAlphabetic || scalar == "_"
                || (i > 0 && (scalar == "." || ("0"..."9").contains(scalar))))
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out.isEmpty ? "_" : out
    }
}
