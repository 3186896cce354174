import TallyStorage

extension SodaScan {
    /// Reads a `-srf` scan results file or a `sodaCoreInsertScanResults` payload.
    ///
    /// The document is parsed, its `token` removed, validated field by field and mapped to
    /// measurements and check points. Nothing is returned partially.
    ///
    /// - Throws: ``SodaError``: `.syntax` with line and column for bad JSON; `.invalid` naming the
    ///   JSON path (and its line and column) for a wrong type, a missing key, an unknown outcome or a
    ///   bad timestamp; `.unsupported` for soda-core 4.x documents.
    public static func parse(_ bytes: [UInt8]) throws(SodaError) -> SodaScan {
        try parse(try SodaJSONParser.parse(bytes), from: bytes)
    }

    /// Reads a scan from a document already parsed from `bytes`; errors carry the line and column in `bytes`.
    public static func parse(_ json: SodaJSON, from bytes: [UInt8]) throws(SodaError) -> SodaScan {
        do {
            return try parse(json)
        } catch {
            if let position = SodaJSONParser.position(of: error.path, in: bytes) {
                throw error.located(line: position.line, column: position.column)
            }
            throw error
        }
    }

    /// Reads a scan from document text.
    public static func parse(_ text: String) throws(SodaError) -> SodaScan {
        try parse(Array(text.utf8))
    }

    /// Reads a scan from an already parsed document (errors carry paths but no line/column).
    public static func parse(_ json: SodaJSON) throws(SodaError) -> SodaScan {
        try SodaScanDecoder.decode(json)
    }
}

/// The field-by-field reading of a scan document.
enum SodaScanDecoder {
    static let outcomeChoices = "one of pass, warn, fail, error, null"

    static func decode(_ raw: SodaJSON) throws(SodaError) -> SodaScan {
        let json = try SodaDocument.strippingToken(raw)
        let kind = try SodaDocument.kind(of: json)
        let root = try SodaObjectReader(json, at: .root)

        if let version = root["version"], !version.isNull {
            let text: String
            switch version {
            case let .string(s): text = s
            case let .number(n): text = n.literal
            default: throw SodaError.expected("a version string", at: root.path.appending("version"), found: version)
            }
            if !text.hasPrefix("3") {
                throw SodaError(
                    kind: .unsupported, path: root.path.appending("version"),
                    message: "scan results of soda-core \(text) are not supported (only the soda-core 3.x format)")
            }
        }

        let definitionName = try root.optionalString("definitionName")
        let defaultDataSource = try root.optionalString("defaultDataSource")
        let dataTimestamp = try root.timestamp("dataTimestamp")
        let scanStart = try root.timestamp("scanStartTimestamp")
        let scanEnd = try root.timestamp("scanEndTimestamp")
        let hasErrors = try root.bool("hasErrors")
        let hasWarnings = try root.bool("hasWarnings")
        let hasFailures = try root.bool("hasFailures")
        let sourceOwner = try root.optionalString("sourceOwner")
        let metricValues = try root.array("metrics")
        let checkValues = try root.array("checks")
        let automatedValues = try root.optionalArray("automatedMonitoringChecks") ?? []
        for key in ["queries", "profiling", "metadata", "logs"] { _ = try root.optionalArray(key) }

        let time = dataTimestamp.epochMilliseconds

        // Checks first: they give the hints (table, column) for the labels of their metrics[0].
        var checks: [SodaCheckPoint] = []
        for (index, value) in checkValues.enumerated() {
            checks.append(try decodeCheck(value, at: root.path.appending("checks").appending(index), time: time, automated: false))
        }
        for (index, value) in automatedValues.enumerated() {
            checks.append(
                try decodeCheck(value, at: root.path.appending("automatedMonitoringChecks").appending(index), time: time, automated: true))
        }

        var hints: [String: MetricHints] = [:]
        for check in checks {
            guard let first = check.measurementIdentity else { continue }
            hints[first, default: MetricHints()].merge(dataSource: check.dataSource, dataset: check.dataset, column: check.column, filter: check.filter)
        }

        var measurements: [SodaMeasurement] = []
        var seen: [String: Int] = [:]
        var seenKeys: [SeriesKey: Int] = [:]
        for (index, value) in metricValues.enumerated() {
            let path = root.path.appending("metrics").appending(index)
            let measurement = try decodeMetric(
                value, at: path, time: time, definitionName: definitionName, defaultDataSource: defaultDataSource, hints: hints)
            if let earlier = seen[measurement.identity] {
                throw SodaError.invalid(
                    path.appending("identity"),
                    "duplicate metric identity \(SodaJSON.string(measurement.identity).shortDescription) (also at $.metrics[\(earlier)])")
            }
            seen[measurement.identity] = index
            // Metric names become series names with other characters as `_`: two metrics that differ only there,
            // with the same labels, would be one series (one point lost, the other's history unfindable).
            let key = SeriesKey(metric: SodaScan.seriesName(measurement.metricName), labels: measurement.labels)
            if let earlier = seenKeys[key] {
                throw SodaError.invalid(
                    path.appending("metricName"),
                    "metric \(SodaJSON.string(measurement.metricName).shortDescription) would be the same Tally series, \(key), "
                        + "as $.metrics[\(earlier)] (\(SodaJSON.string(measurements[earlier].metricName).shortDescription)): "
                        + "names that differ only in characters outside [A-Za-z0-9_.] cannot be told apart; rename one")
            }
            seenKeys[key] = index
            measurements.append(measurement)
        }

        let contentHash = SHA256.hexHash(json.canonicalBytes)
        var resultsObject = root.object
        resultsObject["type"] = nil
        resultsObject["logs"] = nil
        let resultsHash = SHA256.hexHash(SodaJSON.object(resultsObject).canonicalBytes)

        return SodaScan(
            kind: kind, definitionName: definitionName, defaultDataSource: defaultDataSource, dataTimestamp: dataTimestamp,
            scanStartTimestamp: scanStart, scanEndTimestamp: scanEnd, hasErrors: hasErrors, hasWarnings: hasWarnings,
            hasFailures: hasFailures, sourceOwner: sourceOwner, measurements: measurements, checks: checks,
            contentHash: contentHash, resultsHash: resultsHash, document: json)
    }

    // MARK: - Metrics

    struct MetricHints {
        var dataSources: [String] = []
        var dataset: SodaMetricIdentity.Hint = .unknown
        var column: SodaMetricIdentity.Hint = .unknown
        var filter: SodaMetricIdentity.Hint = .unknown
        var used = false

        mutating func merge(dataSource: String?, dataset: String?, column: String?, filter: String?) {
            if let dataSource, !dataSources.contains(dataSource) { dataSources.append(dataSource) }
            let newDataset = SodaMetricIdentity.Hint(dataset)
            let newColumn = SodaMetricIdentity.Hint(column)
            // The cloud dict has no filter: only a present value is a hint.
            let newFilter: SodaMetricIdentity.Hint = filter.map { .value($0) } ?? .unknown
            if !used {
                self.dataset = newDataset
                self.column = newColumn
                self.filter = newFilter
                used = true
            } else {
                // Disagreeing checks: the part is unknown.
                if self.dataset != newDataset { self.dataset = .unknown }
                if self.column != newColumn { self.column = .unknown }
                if self.filter != newFilter { self.filter = .unknown }
            }
        }
    }

    static func decodeMetric(
        _ value: SodaJSON, at path: SodaJSONPath, time: Int64, definitionName: String?, defaultDataSource: String?,
        hints: [String: MetricHints]
    ) throws(SodaError) -> SodaMeasurement {
        let reader = try SodaObjectReader(value, at: path)
        let identity = try reader.string("identity")
        let metricName = try reader.string("metricName")
        let rawValue = try reader.required("value", "a value (number, string, array, object or null)")
        if let number = rawValue.numberValue { try requireFinite(number, at: path.appending("value")) }
        let dataSourceName = try reader.optionalString("dataSourceName")
        let tableName = try reader.optionalString("tableName")
        let partitionName = try reader.optionalString("partitionName")
        let columnName = try reader.optionalString("columnName")

        var hint = hints[identity] ?? MetricHints()
        // Explicit metric fields (schema and group-evolution metrics) override check hints.
        if reader.contains("tableName") { hint.dataset = .init(tableName) }
        if reader.contains("partitionName") { hint.filter = .init(partitionName) }
        if reader.contains("columnName") { hint.column = .init(columnName) }
        var dataSources: [String] = []
        if let dataSourceName { dataSources.append(dataSourceName) }
        dataSources += hint.dataSources
        if let defaultDataSource { dataSources.append(defaultDataSource) }

        var labels: [String: String] = [:]
        let decomposed = SodaMetricIdentity.decompose(
            identity, metricName: metricName, scanDefinition: definitionName, dataSources: dataSources,
            dataset: hint.dataset, filter: hint.filter, column: hint.column)
        if let parts = decomposed?.parts {
            labels[SodaLabelName.datasource] = parts.dataSource
            labels[SodaLabelName.dataset] = parts.dataset
            labels[SodaLabelName.filter] = parts.filter
            labels[SodaLabelName.column] = parts.column
            labels[SodaLabelName.configHash] = parts.configHash
            if parts.automatedMonitoring { labels[SodaLabelName.automatedMonitoring] = "true" }
        } else {
            labels[SodaLabelName.datasource] = dataSourceName ?? hint.dataSources.first ?? defaultDataSource
            labels[SodaLabelName.dataset] = tableName
            labels[SodaLabelName.filter] = partitionName
            labels[SodaLabelName.column] = columnName
            labels[SodaLabelName.identity] = identity
        }
        if let definitionName, !definitionName.isEmpty { labels[SodaLabelName.scanDefinition] = definitionName }

        return SodaMeasurement(
            metricName: metricName, identity: identity, identityParts: decomposed?.parts,
            identityResolution: decomposed?.resolution, labels: labels, attributes: [SodaLabelName.identity: identity],
            timeMilliseconds: time, rawValue: rawValue,
            derived: rawValue.numberValue == nil ? SodaMeasurement.derive(metricName: metricName, value: rawValue) : nil)
    }

    // MARK: - Checks

    static func decodeCheck(_ value: SodaJSON, at path: SodaJSONPath, time: Int64, automated: Bool) throws(SodaError) -> SodaCheckPoint {
        let reader = try SodaObjectReader(value, at: path)
        let identity = try reader.string("identity")
        let name = try reader.string("name")
        let type = try reader.string("type")
        let definition = try reader.optionalString("definition")
        let dataSource = try reader.optionalString("dataSource")
        let dataset = try reader.optionalString("table")
        let column = try reader.optionalString("column")
        let filter = try reader.optionalString("filter")
        let archetype = try reader.optionalString("archetype")

        var location: SodaCheckLocation?
        if let loc = try reader.optionalObject("location") {
            location = SodaCheckLocation(filePath: try loc.string("filePath"), line: try loc.optionalInt("line"), column: try loc.optionalInt("col"))
        }

        var metrics: [String] = []
        for (i, element) in try reader.array("metrics").enumerated() {
            guard case let .string(s) = element else {
                throw SodaError.expected("a metric identity string", at: path.appending("metrics").appending(i), found: element)
            }
            metrics.append(try SodaObjectReader.withoutNUL(s, at: path.appending("metrics").appending(i)))
        }

        let outcomeValue = try reader.required("outcome", SodaScanDecoder.outcomeChoices)
        guard let outcome = SodaOutcome(sodaValue: outcomeValue) else {
            throw SodaError.expected(SodaScanDecoder.outcomeChoices, at: path.appending("outcome"), found: outcomeValue)
        }

        var reasons: [SodaOutcomeReason] = []
        for (i, element) in (try reader.optionalArray("outcomeReasons") ?? []).enumerated() {
            let r = try SodaObjectReader(element, at: path.appending("outcomeReasons").appending(i))
            reasons.append(SodaOutcomeReason(code: try r.string("code"), message: try r.optionalString("message"), severity: try r.optionalString("severity")))
        }

        var group: SodaCheckGroup?
        if let g = try reader.optionalObject("group") {
            group = SodaCheckGroup(identity: try g.optionalString("identity"), name: try g.optionalString("name"), distinctLabel: try g.optionalString("distinctLabel"))
        }

        // Identities.
        var versions = try reader.stringMap("identities")
        let migrated = try reader.stringMap("migratedIdentities")
        var computed = false
        if !reader.contains("identities"), let definition, let dataSource, let filePath = location?.filePath {
            let userIdentity = try reader.optionalString("source_identity")
            if let ids = try? SodaCheckIdentityCalculator.identities(
                definition: definition, dataSource: dataSource, filePath: filePath, automatedMonitoring: automated, userIdentity: userIdentity)
            {
                versions = ids.versions
                computed = true
            }
        }
        let ordered = orderedVersions(versions)
        let key = ordered.last?.id ?? identity
        var aliases: [String] = []
        for candidate in ordered.map(\.id) + [identity] + orderedVersions(migrated).map(\.id)
        where candidate != key && !aliases.contains(candidate) {
            aliases.append(candidate)
        }

        // Diagnostics.
        var diagnosticValue: SodaNumber?
        var fail: SodaThreshold?
        var warn: SodaThreshold?
        var measure: String?
        var predicted: SodaNumber?
        var historic: SodaNumber?
        var derived: SodaDerivedValue?
        let diagnostics = reader["diagnostics"].flatMap { $0.isNull ? nil : $0 }
        if let d = try reader.optionalObject("diagnostics") {
            diagnosticValue = try d.optionalNumber("value")
            if let diagnosticValue { try requireFinite(diagnosticValue, at: d.path.appending("value")) }
            fail = try threshold(d, "fail")
            warn = try threshold(d, "warn")
            measure = try d.optionalString("measure")
            predicted = d["anomalyPredictedValue"]?.numberValue
            historic = d["diagnostics"]?["historic_value"]?.numberValue
            if measure == "time", let ms = diagnosticValue {
                derived = SodaDerivedValue(rule: .freshnessSeconds, value: millisecondsToSeconds(ms))
            } else if diagnosticValue == nil, case let .array(series)? = d["valueSeries"]?["values"] {
                var events: Int64 = 0
                var found = false
                for (k, entry) in series.enumerated() {
                    guard let label = entry["label"]?.stringValue ?? entry["outcome"]?.stringValue, label == "fail" || label == "warn",
                        let count = entry["value"]?.numberValue?.int64Value
                    else { continue }
                    let (sum, overflow) = events.addingReportingOverflow(count)
                    if overflow {
                        throw SodaError.invalid(
                            d.path.appending("valueSeries").appending("values").appending(k).appending("value"),
                            "the schema event counts add up to beyond what a 64-bit integer holds")
                    }
                    events = sum
                    found = true
                }
                if found { derived = SodaDerivedValue(rule: .schemaEventCount, value: SodaNumber(events)) }
            }
        }

        return SodaCheckPoint(
            key: key, aliases: aliases, identity: identity, identityVersions: versions, migratedIdentities: migrated,
            identitiesComputed: computed, name: name, type: type, definition: definition, dataSource: dataSource,
            dataset: dataset, column: column, filter: filter, location: location, metrics: metrics, outcome: outcome,
            outcomeReasons: reasons, timeMilliseconds: time, value: diagnosticValue, derived: derived, fail: fail, warn: warn,
            measure: measure, predictedValue: predicted, historicValue: historic, diagnostics: diagnostics, group: group,
            archetype: archetype, automatedMonitoring: automated, resourceAttributes: try reader.optionalArray("resourceAttributes") ?? [])
    }

    /// `(version number, id)` of `v<N>` keys sorted by N; other keys after them in name order.
    static func orderedVersions(_ versions: [String: String]) -> [(n: Int, id: String)] {
        versions.map { (key, id) -> (n: Int, name: String, id: String) in
            let n = key.hasPrefix("v") ? Int(key.dropFirst()) ?? -1 : -1
            return (n, key, id)
        }
        .sorted { ($0.n, $0.name) < ($1.n, $1.name) }
        .map { ($0.n, $0.id) }
    }

    static func threshold(_ d: SodaObjectReader, _ key: String) throws(SodaError) -> SodaThreshold? {
        guard let t = try d.optionalObject(key) else { return nil }
        return SodaThreshold(
            greaterThan: try t.optionalNumber("greaterThan"), greaterThanOrEqual: try t.optionalNumber("greaterThanOrEqual"),
            lessThan: try t.optionalNumber("lessThan"), lessThanOrEqual: try t.optionalNumber("lessThanOrEqual"))
    }

    /// A number that becomes a point's value must fit a Double: `1e400` would be stored as infinity, and Soda
    /// history could then not send it back as the number it was.
    static func requireFinite(_ number: SodaNumber, at path: SodaJSONPath) throws(SodaError) {
        guard !number.doubleValue.isFinite else { return }
        throw SodaError.invalid(path, "the number \(number.literal.prefix(40)) is beyond the largest value Tally keeps "
            + "(±1.7976931348623157e308)")
    }

    /// Milliseconds → seconds, exactly for integer literals (`80735667325` → `80735667.325`).
    static func millisecondsToSeconds(_ ms: SodaNumber) -> SodaNumber {
        if let value = ms.int64Value {
            var seconds = value / 1000
            var rest = value % 1000
            if rest < 0 {
                rest += 1000
                seconds -= 1
            }
            return SodaNumber(unchecked: SodaTimestamp.decimal(seconds: seconds, nanoseconds: Int32(rest * 1_000_000)))
        }
        return SodaNumber(ms.doubleValue / 1000) ?? ms
    }
}
